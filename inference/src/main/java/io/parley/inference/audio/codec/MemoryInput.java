package io.parley.inference.audio.codec;

import static org.bytedeco.ffmpeg.global.avformat.AVSEEK_SIZE;
import static org.bytedeco.ffmpeg.global.avformat.avio_alloc_context;
import static org.bytedeco.ffmpeg.global.avformat.avio_context_free;
import static org.bytedeco.ffmpeg.global.avutil.AVERROR_EOF;
import static org.bytedeco.ffmpeg.global.avutil.av_free;
import static org.bytedeco.ffmpeg.global.avutil.av_malloc;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.bytedeco.ffmpeg.avformat.AVIOContext;
import org.bytedeco.ffmpeg.avformat.Read_packet_Pointer_BytePointer_int;
import org.bytedeco.ffmpeg.avformat.Seek_Pointer_long_int;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;

/**
 * A file held in memory as FFmpeg's input: a custom {@code AVIOContext} whose read and seek
 * callbacks serve a byte array, so an upload is never written to a temporary file for FFmpeg.
 *
 * <p>JavaCPP allows only a few live instances of a callback class, so there is one read and one
 * seek callback for the process; each input is found by the address of its {@code opaque} pointer.
 */
final class MemoryInput implements AutoCloseable {

  /** FFmpeg's read buffer: its default size for files. */
  static final int BUFFER_BYTES = 32 * 1024;
  /** From the C library's {@code stdio.h}. */
  private static final int SEEK_SET = 0;
  private static final int SEEK_CUR = 1;
  private static final int SEEK_END = 2;
  /** {@code AVSEEK_FORCE}: a hint, masked off. */
  private static final int AVSEEK_FORCE = 0x20000;

  private static final Map<Long, MemoryInput> OPEN = new ConcurrentHashMap<>();

  private static final Read_packet_Pointer_BytePointer_int READ = new Read_packet_Pointer_BytePointer_int() {
    @Override
    public int call(Pointer opaque, BytePointer buf, int size) {
      MemoryInput in = OPEN.get(opaque.address());
      if (in == null) {
        return AVERROR_EOF;
      }
      int n = Math.min(size, in.data.length - in.position);
      if (n <= 0) {
        return AVERROR_EOF;
      }
      buf.position(0).put(in.data, in.position, n);
      in.position += n;
      return n;
    }
  };

  private static final Seek_Pointer_long_int SEEK = new Seek_Pointer_long_int() {
    @Override
    public long call(Pointer opaque, long offset, int whence) {
      MemoryInput in = OPEN.get(opaque.address());
      if (in == null) {
        return -1;
      }
      long to;
      switch (whence & ~AVSEEK_FORCE) {
        case AVSEEK_SIZE -> {
          return in.data.length;
        }
        case SEEK_SET -> to = offset;
        case SEEK_CUR -> to = in.position + offset;
        case SEEK_END -> to = in.data.length + offset;
        default -> {
          return -1;
        }
      }
      if (to < 0 || to > in.data.length) {
        return -1;
      }
      in.position = (int) to;
      return to;
    }
  };

  private final byte[] data;
  private final Pointer opaque;
  private final AVIOContext avio;
  private int position; // only the thread decoding this input touches it, from inside FFmpeg's calls

  MemoryInput(byte[] data) {
    this.data = data;
    this.opaque = av_malloc(1);
    OPEN.put(opaque.address(), this);
    BytePointer buffer = new BytePointer(av_malloc(BUFFER_BYTES));
    AVIOContext ctx = avio_alloc_context(buffer, BUFFER_BYTES, 0, opaque, READ, null, SEEK);
    if (ctx == null || ctx.isNull()) {
      av_free(buffer);
      close();
      throw new OutOfMemoryError("avio_alloc_context");
    }
    this.avio = ctx;
  }

  AVIOContext avio() {
    return avio;
  }

  /** Frees the I/O context and its buffer (FFmpeg may have replaced the one given it). */
  @Override
  public void close() {
    if (avio != null) {
      av_free(avio.buffer());
      avio.buffer(null);
      avio_context_free(avio);
    }
    OPEN.remove(opaque.address());
    av_free(opaque);
  }
}
