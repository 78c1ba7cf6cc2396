package io.parley.inference.stt;

import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Reads a whisper.cpp ggml model file the way <a
 * href="https://github.com/ggerganov/whisper.cpp/blob/v1.7.1/src/whisper.cpp">whisper_model_load
 * (v1.7.1)</a> does, and rejects every file that loader would crash on or load wrongly.
 *
 * <p>Why in Java: the native loader trusts the file. A bad ftype hits a {@code GGML_ASSERT}, a huge
 * length becomes a {@code std::bad_alloc} thrown through JNI, more than four dimensions overflow a
 * stack array, an all-f32 file aborts later in the encoder's im2col, a file without tensors loads
 * "for testing" with uninitialised weights, and a vocabulary without {@code " "} throws
 * {@code std::out_of_range} in the first decode. Each of those takes the whole JVM down; here each is
 * a {@link ParleyException} naming {@code PARLEY_WHISPER_MODEL}.
 *
 * <p>Layout (little-endian): magic {@code 0x67676d6c}; 11 int32 hyperparameters; mel filters (int32
 * n_mel, int32 n_fft, n_mel*n_fft f32); vocabulary (int32 count, then per token int32 length and
 * bytes); then tensors until the end of the file, each int32 n_dims, int32 name length, int32 ggml
 * type, n_dims int32 extents (ggml order: fastest-varying first), the name, and the data, unpadded.
 */
final class WhisperModelFile {

  static final int GGML_FILE_MAGIC = 0x67676d6c;
  /** ftype = quantization version * 1000 + ggml ftype. */
  static final int QNT_VERSION_FACTOR = 1000;
  /** n_vocab of the English-only, multilingual and large-v3 models. */
  static final Set<Integer> KNOWN_N_VOCAB = Set.of(51864, 51865, 51866);
  /** Audio positions: 30 s of 10 ms mel frames after the stride-2 convolution. */
  static final int N_AUDIO_CTX = 1500;
  static final int N_TEXT_CTX = 448;
  /** 80 mel bands, or 128 for large-v3. */
  static final Set<Integer> KNOWN_N_MELS = Set.of(80, 128);
  /** FFT bins of a 400-sample window: 1 + 400 / 2. whisper.cpp indexes the filters with it. */
  static final int N_FFT_BINS = 201;
  static final int MAX_STATE = 8192;
  static final int MAX_HEADS = 128;
  static final int MAX_LAYERS = 64;
  /** Real tokens are at most a few dozen bytes; this only stops absurd allocations. */
  static final int MAX_TOKEN_BYTES = 1024;
  static final int MAX_NAME_BYTES = 256;
  /** The loader reads the extents into an int32[4]. */
  static final int MAX_DIMS = 4;

  /** The ggml tensor types a whisper file may use: element type id, bytes per block, block size. */
  enum GgmlType {
    F32(0, 4, 1), F16(1, 2, 1),
    Q4_0(2, 18, 32), Q4_1(3, 20, 32), Q5_0(6, 22, 32), Q5_1(7, 24, 32), Q8_0(8, 34, 32),
    Q2_K(10, 84, 256), Q3_K(11, 110, 256), Q4_K(12, 144, 256), Q5_K(13, 176, 256), Q6_K(14, 210, 256);

    final int id;
    final int blockBytes;
    final int blockSize;

    GgmlType(int id, int blockBytes, int blockSize) {
      this.id = id;
      this.blockBytes = blockBytes;
      this.blockSize = blockSize;
    }

    long bytes(long elements) {
      return elements / blockSize * blockBytes;
    }

    static GgmlType byId(int id) {
      for (GgmlType t : values()) {
        if (t.id == id) {
          return t;
        }
      }
      return null;
    }

    /**
     * The weight type of a ggml file type ({@code ggml_ftype_to_ggml_type}), limited to the types
     * whisper.cpp's converter and quantizer write. Never F32: see {@link WhisperModelFile}.
     */
    static GgmlType ofFtype(int ftype) {
      return switch (ftype) {
        case 1 -> F16;
        case 2 -> Q4_0;
        case 3 -> Q4_1;
        case 7 -> Q8_0;
        case 8 -> Q5_0;
        case 9 -> Q5_1;
        case 10 -> Q2_K;
        case 11 -> Q3_K;
        case 12 -> Q4_K;
        case 13 -> Q5_K;
        case 14 -> Q6_K;
        default -> null;
      };
    }
  }

  /** The 11 hyperparameters, in file order. */
  record Hparams(int nVocab, int nAudioCtx, int nAudioState, int nAudioHead, int nAudioLayer,
                 int nTextCtx, int nTextState, int nTextHead, int nTextLayer, int nMels, int ftype) {}

  /** What a valid file holds. */
  record Info(Hparams hparams, GgmlType weightType, int vocabularySize, int tensors, long bytes) {
    /** As whisper.cpp decides it: multilingual vocabularies have at least 51865 entries. */
    boolean multilingual() {
      return hparams.nVocab() >= 51865;
    }
  }

  private record Expected(GgmlType type, int[] ne) {}

  private WhisperModelFile() {}

  /** Validates {@code file} completely (header, vocabulary, every tensor, total size). */
  static Info validate(Path file) {
    long size;
    try {
      size = Files.size(file);
    } catch (NoSuchFileException e) {
      throw invalid(file, "no such file (download one with ./parley models --whisper base.en)");
    } catch (IOException e) {
      throw invalid(file, "cannot be read: " + e.getMessage());
    }
    if (Files.isDirectory(file)) {
      throw invalid(file, "is a directory, not a ggml model file");
    }
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      return read(file, new Reader(ch, size));
    } catch (EOFException e) {
      throw invalid(file, "truncated (" + size + " bytes): " + e.getMessage());
    } catch (IOException e) {
      throw invalid(file, "cannot be read: " + e.getMessage());
    }
  }

  private static Info read(Path file, Reader in) throws IOException {
    int magic = in.int32("magic");
    if (magic != GGML_FILE_MAGIC) {
      throw invalid(file, String.format("not a whisper.cpp ggml model (magic 0x%08x, want 0x%08x)", magic, GGML_FILE_MAGIC));
    }
    Hparams h = new Hparams(in.int32("n_vocab"), in.int32("n_audio_ctx"), in.int32("n_audio_state"),
        in.int32("n_audio_head"), in.int32("n_audio_layer"), in.int32("n_text_ctx"), in.int32("n_text_state"),
        in.int32("n_text_head"), in.int32("n_text_layer"), in.int32("n_mels"), in.int32("ftype"));
    GgmlType wtype = checkHparams(file, h);

    int nMel = in.int32("mel filters n_mel");
    int nFft = in.int32("mel filters n_fft");
    if (nMel != h.nMels() || nFft != N_FFT_BINS) {
      throw invalid(file, "mel filters are " + nMel + "x" + nFft + ", want " + h.nMels() + "x" + N_FFT_BINS);
    }
    in.skip((long) nMel * nFft * Float.BYTES, "mel filters");

    int nTokens = in.int32("vocabulary size");
    if (nTokens < 1 || nTokens > h.nVocab()) {
      throw invalid(file, "vocabulary has " + nTokens + " tokens, want 1.." + h.nVocab());
    }
    boolean hasSpace = false;
    for (int i = 0; i < nTokens; i++) {
      int len = in.int32("length of token " + i);
      if (len < 0 || len > MAX_TOKEN_BYTES) {
        throw invalid(file, "token " + i + " has length " + len + " (0.." + MAX_TOKEN_BYTES + ")");
      }
      if (len == 1) {
        hasSpace |= in.bytes(1, "token " + i)[0] == ' ';
      } else {
        in.skip(len, "token " + i);
      }
    }
    if (!hasSpace) {
      // whisper_full suppresses the blank token with token_to_id.at(" "): without it, an abort.
      throw invalid(file, "vocabulary has no \" \" token");
    }

    Map<String, Expected> expected = expectedTensors(h, wtype);
    Set<String> seen = new HashSet<>();
    while (in.position() < in.size()) {
      int nDims = in.int32("tensor header");
      int nameLen = in.int32("tensor header");
      int ttype = in.int32("tensor header");
      if (nDims < 1 || nDims > MAX_DIMS) {
        throw invalid(file, "tensor #" + (seen.size() + 1) + " has " + nDims + " dimensions (1.." + MAX_DIMS + ")");
      }
      if (nameLen < 1 || nameLen > MAX_NAME_BYTES) {
        throw invalid(file, "tensor #" + (seen.size() + 1) + " has a name of " + nameLen + " bytes");
      }
      int[] ne = {1, 1, 1, 1};
      for (int d = 0; d < nDims; d++) {
        ne[d] = in.int32("tensor extents");
      }
      String name = new String(in.bytes(nameLen, "tensor name"), StandardCharsets.UTF_8);
      Expected want = expected.get(name);
      if (want == null) {
        throw invalid(file, "unknown tensor '" + name + "' for " + h.nAudioLayer() + "+" + h.nTextLayer() + " layers");
      }
      if (!seen.add(name)) {
        throw invalid(file, "tensor '" + name + "' appears twice");
      }
      for (int d = 0; d < MAX_DIMS; d++) {
        if (ne[d] != want.ne()[d]) {
          throw invalid(file, "tensor '" + name + "' has shape " + shape(ne) + ", want " + shape(want.ne()));
        }
      }
      if (ttype != want.type().id) {
        GgmlType got = GgmlType.byId(ttype);
        throw invalid(file, "tensor '" + name + "' has type " + (got == null ? ttype : got) + ", want " + want.type());
      }
      long elements = (long) ne[0] * ne[1] * ne[2] * ne[3];
      in.skip(want.type().bytes(elements), "data of tensor '" + name + "'");
    }
    if (seen.size() != expected.size()) {
      Set<String> missing = new HashSet<>(expected.keySet());
      missing.removeAll(seen);
      throw invalid(file, "truncated or incomplete: " + missing.size() + " of " + expected.size()
          + " tensors missing (e.g. '" + missing.iterator().next() + "')");
    }
    return new Info(h, wtype, nTokens, seen.size(), in.size());
  }

  private static GgmlType checkHparams(Path file, Hparams h) {
    if (!KNOWN_N_VOCAB.contains(h.nVocab())) {
      throw invalid(file, "n_vocab " + h.nVocab() + " is none of Whisper's " + KNOWN_N_VOCAB);
    }
    if (h.nAudioCtx() != N_AUDIO_CTX || h.nTextCtx() != N_TEXT_CTX) {
      throw invalid(file, "n_audio_ctx " + h.nAudioCtx() + " / n_text_ctx " + h.nTextCtx()
          + ", want " + N_AUDIO_CTX + " / " + N_TEXT_CTX);
    }
    if (!KNOWN_N_MELS.contains(h.nMels())) {
      throw invalid(file, "n_mels " + h.nMels() + ", want one of " + KNOWN_N_MELS);
    }
    if (h.nAudioState() != h.nTextState()) {
      throw invalid(file, "n_audio_state " + h.nAudioState() + " differs from n_text_state " + h.nTextState());
    }
    if (h.nAudioState() < 1 || h.nAudioState() > MAX_STATE) {
      throw invalid(file, "width " + h.nAudioState() + " outside 1.." + MAX_STATE);
    }
    checkHeads(file, "n_audio_head", h.nAudioHead(), h.nAudioState());
    checkHeads(file, "n_text_head", h.nTextHead(), h.nTextState());
    if (h.nAudioLayer() < 1 || h.nAudioLayer() > MAX_LAYERS || h.nTextLayer() < 1 || h.nTextLayer() > MAX_LAYERS) {
      throw invalid(file, "layers " + h.nAudioLayer() + "+" + h.nTextLayer() + " outside 1.." + MAX_LAYERS);
    }
    if (h.ftype() < 0) {
      throw invalid(file, "ftype " + h.ftype() + " is negative");
    }
    int ftype = h.ftype() % QNT_VERSION_FACTOR;
    if (ftype == 0) {
      throw invalid(file, "all-f32 (ftype 0): whisper.cpp 1.7.1 aborts the process in the encoder's im2col"
          + " on such files; use an f16 or quantized model");
    }
    GgmlType wtype = GgmlType.ofFtype(ftype);
    if (wtype == null) {
      throw invalid(file, "ftype " + h.ftype() + " is not an f16 or quantized whisper.cpp type");
    }
    if (h.nAudioState() % wtype.blockSize != 0) {
      throw invalid(file, "width " + h.nAudioState() + " is not a multiple of " + wtype + "'s block of " + wtype.blockSize);
    }
    return wtype;
  }

  private static void checkHeads(Path file, String key, int heads, int state) {
    if (heads < 1 || heads > MAX_HEADS || state % heads != 0) {
      throw invalid(file, key + " " + heads + " does not divide the width " + state);
    }
  }

  /** Every tensor whisper_model_load (v1.7.1) creates, with its type and ggml extents. */
  private static Map<String, Expected> expectedTensors(Hparams h, GgmlType wtype) {
    int s = h.nAudioState();
    GgmlType f32 = GgmlType.F32;
    GgmlType conv = GgmlType.F16; // vtype: F16 whenever wtype is not F32
    Map<String, Expected> m = new LinkedHashMap<>();
    put(m, "encoder.positional_embedding", f32, s, h.nAudioCtx());
    put(m, "encoder.conv1.weight", conv, 3, h.nMels(), s);
    put(m, "encoder.conv1.bias", f32, 1, s);
    put(m, "encoder.conv2.weight", conv, 3, s, s);
    put(m, "encoder.conv2.bias", f32, 1, s);
    put(m, "encoder.ln_post.weight", f32, s);
    put(m, "encoder.ln_post.bias", f32, s);
    for (int i = 0; i < h.nAudioLayer(); i++) {
      mlp(m, "encoder.blocks." + i + ".", s, wtype);
      attention(m, "encoder.blocks." + i + ".attn", s, wtype);
    }
    put(m, "decoder.positional_embedding", f32, s, h.nTextCtx());
    put(m, "decoder.token_embedding.weight", wtype, s, h.nVocab());
    put(m, "decoder.ln.weight", f32, s);
    put(m, "decoder.ln.bias", f32, s);
    for (int i = 0; i < h.nTextLayer(); i++) {
      mlp(m, "decoder.blocks." + i + ".", s, wtype);
      attention(m, "decoder.blocks." + i + ".attn", s, wtype);
      attention(m, "decoder.blocks." + i + ".cross_attn", s, wtype);
    }
    return m;
  }

  /** An attention: layer norm, query (with bias), key (without), value and out (with). */
  private static void attention(Map<String, Expected> m, String p, int s, GgmlType wtype) {
    GgmlType f32 = GgmlType.F32;
    put(m, p + "_ln.weight", f32, s);
    put(m, p + "_ln.bias", f32, s);
    put(m, p + ".query.weight", wtype, s, s);
    put(m, p + ".query.bias", f32, s);
    put(m, p + ".key.weight", wtype, s, s);
    put(m, p + ".value.weight", wtype, s, s);
    put(m, p + ".value.bias", f32, s);
    put(m, p + ".out.weight", wtype, s, s);
    put(m, p + ".out.bias", f32, s);
  }

  private static void mlp(Map<String, Expected> m, String p, int s, GgmlType wtype) {
    GgmlType f32 = GgmlType.F32;
    put(m, p + "mlp_ln.weight", f32, s);
    put(m, p + "mlp_ln.bias", f32, s);
    put(m, p + "mlp.0.weight", wtype, s, 4 * s);
    put(m, p + "mlp.0.bias", f32, 4 * s);
    put(m, p + "mlp.2.weight", wtype, 4 * s, s);
    put(m, p + "mlp.2.bias", f32, s);
  }

  private static void put(Map<String, Expected> m, String name, GgmlType type, int... extents) {
    int[] ne = {1, 1, 1, 1};
    System.arraycopy(extents, 0, ne, 0, extents.length);
    m.put(name, new Expected(type, ne));
  }

  private static String shape(int[] ne) {
    return "[" + ne[0] + ", " + ne[1] + ", " + ne[2] + (ne[3] == 1 ? "" : ", " + ne[3]) + "]";
  }

  private static ParleyException invalid(Path file, String problem) {
    return new ParleyException(Reason.CONFIG, "PARLEY_WHISPER_MODEL: " + file + ": " + problem);
  }

  /** Little-endian reads that never go past the end of the file (EOFException instead). */
  private static final class Reader {
    private final FileChannel ch;
    private final long size;
    private final ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
    private long bufStart; // file offset of buf[0]

    Reader(FileChannel ch, long size) {
      this.ch = ch;
      this.size = size;
      buf.limit(0);
    }

    long size() {
      return size;
    }

    long position() {
      return bufStart + buf.position();
    }

    int int32(String what) throws IOException {
      ensure(4, what);
      return buf.getInt();
    }

    byte[] bytes(int n, String what) throws IOException {
      ensure(n, what);
      byte[] b = new byte[n];
      buf.get(b);
      return b;
    }

    void skip(long n, String what) throws IOException {
      long target = position() + n;
      if (n < 0 || target > size) {
        throw new EOFException(what + " needs " + n + " bytes at offset " + position() + ", the file ends at " + size);
      }
      if (target <= bufStart + buf.limit()) {
        buf.position((int) (target - bufStart));
      } else {
        bufStart = target;
        buf.clear().limit(0);
      }
    }

    private void ensure(int n, String what) throws IOException {
      if (buf.remaining() >= n) {
        return;
      }
      if (position() + n > size) {
        throw new EOFException(what + " needs " + n + " bytes at offset " + position() + ", the file ends at " + size);
      }
      bufStart = position();
      buf.compact();
      ch.position(bufStart + buf.position());
      while (buf.position() < n) {
        if (ch.read(buf) < 0) {
          throw new EOFException(what + ": unexpected end of file at " + (bufStart + buf.position()));
        }
      }
      buf.flip();
    }
  }
}
