package io.parley.inference.audio.codec;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Structure;

/**
 * The C heap in use, from glibc's {@code mallinfo2()} (through JNA): what FFmpeg allocates
 * ({@code av_malloc}) and forgets shows up here, apart from the Java heap. For leak checks over
 * many runs.
 */
public final class NativeHeap {

  /** {@code struct mallinfo2}: ten {@code size_t} fields (64-bit here). */
  @Structure.FieldOrder({"arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
      "fordblks", "keepcost"})
  public static class MallInfo2 extends Structure implements Structure.ByValue {
    public long arena;
    public long ordblks;
    public long smblks;
    public long hblks;
    public long hblkhd;
    public long usmblks;
    public long fsmblks;
    public long uordblks;
    public long fordblks;
    public long keepcost;
  }

  private interface C extends Library {
    MallInfo2 mallinfo2();
  }

  private static final C LIBC = Native.load("c", C.class);

  private NativeHeap() {}

  /** Bytes allocated with malloc and not freed: small blocks plus mmapped large ones. */
  public static long inUse() {
    MallInfo2 info = LIBC.mallinfo2();
    return info.uordblks + info.hblkhd;
  }
}
