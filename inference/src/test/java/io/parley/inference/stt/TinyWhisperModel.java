package io.parley.inference.stt;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Writes tiny random-weight Whisper models in whisper.cpp's ggml format, as whisper.cpp v1.7.1's
 * {@code whisper_model_load} reads it: the real vocabulary size (51864, English-only, or 51865,
 * multilingual, with {@code nVocab(N_VOCAB_MULTILINGUAL)}), 30 s of audio
 * context and 448 text positions, 80 mel bands, but a width of 64 and one encoder and one decoder
 * layer. The engine runs for real (JNI, threads, memory); only the words are nonsense.
 *
 * <p>Fixture, not a test: deterministic for a seed, ~8.4 MB, written in well under a second. Options
 * produce the malformed variants the validation tests need.
 */
public final class TinyWhisperModel {

  public static final int MAGIC = 0x67676d6c;
  public static final int N_VOCAB = 51864;
  /**
   * The multilingual models' vocabulary size ({@link #nVocab}): whisper.cpp then reads the file as
   * multilingual, with language tokens after the start-of-transcript token, and detects languages.
   */
  public static final int N_VOCAB_MULTILINGUAL = 51865;
  public static final int N_AUDIO_CTX = 1500;
  public static final int N_TEXT_CTX = 448;
  public static final int N_MELS = 80;
  public static final int N_FFT_BINS = 201;
  /** Text tokens of the English-only vocabulary (ids below EOT, 50256); specials are added by whisper.cpp. */
  public static final int N_TEXT_TOKENS = 50256;
  static final int TYPE_F32 = 0;
  static final int TYPE_F16 = 1;
  /** ggml's 5-bit type: blocks of 32 weights, each an f16 scale and minimum, 16 low nibbles, 32 high bits. */
  static final int TYPE_Q5_1 = 7;
  /**
   * The ftype of the published {@code ggml-*-q5_1.bin} files: quantization version 2 (x 1000) plus
   * ggml's {@code GGML_FTYPE_MOSTLY_Q5_1} (9).
   */
  public static final int FTYPE_Q5_1 = 2009;

  private int width = 64;
  private int heads = 1;
  private int layers = 1;
  private int ftype = 1; // f16
  private int nVocab = N_VOCAB;
  private int magic = MAGIC;
  private long seed = 42;
  private boolean spaceToken = true;

  public static TinyWhisperModel builder() {
    return new TinyWhisperModel();
  }

  public TinyWhisperModel seed(long seed) {
    this.seed = seed;
    return this;
  }

  /**
   * ggml file type: 1 (f16, the default), {@link #FTYPE_Q5_1} (the matrices 5-bit quantized, as
   * whisper.cpp's quantize tool writes them), 0 (all f32: must be refused, it aborts whisper.cpp).
   */
  public TinyWhisperModel ftype(int ftype) {
    this.ftype = ftype;
    return this;
  }

  public TinyWhisperModel magic(int magic) {
    this.magic = magic;
    return this;
  }

  public TinyWhisperModel nVocab(int nVocab) {
    this.nVocab = nVocab;
    return this;
  }

  public TinyWhisperModel width(int width, int heads) {
    this.width = width;
    this.heads = heads;
    return this;
  }

  public TinyWhisperModel spaceToken(boolean present) {
    this.spaceToken = present;
    return this;
  }

  /** Writes the model to {@code file} (atomically: a temp file beside it, then a rename). */
  public Path write(Path file) {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16)) {
      writeTo(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    try {
      return Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void writeTo(OutputStream out) throws IOException {
    SplittableRandom rnd = new SplittableRandom(seed);
    int s = width;
    boolean f32 = ftype % 1000 == 0;
    // The quantize tool quantizes the 2-D matrices only: the convolutions stay f16, as whisper.cpp wants.
    int ctype = f32 ? TYPE_F32 : TYPE_F16;
    int wtype = ftype % 1000 == FTYPE_Q5_1 % 1000 ? TYPE_Q5_1 : ctype;

    // header: magic and the 11 hyperparameters
    out.write(ints(magic, nVocab, N_AUDIO_CTX, s, heads, layers, N_TEXT_CTX, s, heads, layers, N_MELS, ftype));

    // mel filters: a triangular-ish bank (values do not matter, they must be finite)
    ByteBuffer mel = le(8 + N_MELS * N_FFT_BINS * 4);
    mel.putInt(N_MELS).putInt(N_FFT_BINS);
    for (int m = 0; m < N_MELS; m++) {
      double centre = (m + 1) * (N_FFT_BINS - 1) / (double) (N_MELS + 1);
      for (int k = 0; k < N_FFT_BINS; k++) {
        mel.putFloat((float) Math.max(0, 1 - Math.abs(k - centre) / 2.5));
      }
    }
    out.write(mel.array());

    // vocabulary: " " plus short pseudo-words, all distinct
    List<byte[]> tokens = vocabulary();
    ByteBuffer voc = le(4 + tokens.stream().mapToInt(t -> 4 + t.length).sum());
    voc.putInt(tokens.size());
    for (byte[] t : tokens) {
      voc.putInt(t.length).put(t);
    }
    out.write(voc.array());

    // tensors, in whisper_model_load's order
    tensor(out, rnd, "encoder.positional_embedding", TYPE_F32, Init.SMALL, s, N_AUDIO_CTX);
    tensor(out, rnd, "encoder.conv1.weight", ctype, Init.CONV, 3, N_MELS, s);
    tensor(out, rnd, "encoder.conv1.bias", TYPE_F32, Init.ZERO, 1, s);
    tensor(out, rnd, "encoder.conv2.weight", ctype, Init.CONV, 3, s, s);
    tensor(out, rnd, "encoder.conv2.bias", TYPE_F32, Init.ZERO, 1, s);
    tensor(out, rnd, "encoder.ln_post.weight", TYPE_F32, Init.ONE, s);
    tensor(out, rnd, "encoder.ln_post.bias", TYPE_F32, Init.ZERO, s);
    for (int i = 0; i < layers; i++) {
      String p = "encoder.blocks." + i + ".";
      mlp(out, rnd, p, s, wtype);
      attention(out, rnd, p + "attn", s, wtype);
    }
    tensor(out, rnd, "decoder.positional_embedding", TYPE_F32, Init.SMALL, s, N_TEXT_CTX);
    tensor(out, rnd, "decoder.token_embedding.weight", wtype, Init.SMALL, s, nVocab);
    tensor(out, rnd, "decoder.ln.weight", TYPE_F32, Init.ONE, s);
    tensor(out, rnd, "decoder.ln.bias", TYPE_F32, Init.ZERO, s);
    for (int i = 0; i < layers; i++) {
      String p = "decoder.blocks." + i + ".";
      mlp(out, rnd, p, s, wtype);
      attention(out, rnd, p + "attn", s, wtype);
      attention(out, rnd, p + "cross_attn", s, wtype);
    }
  }

  private List<byte[]> vocabulary() {
    List<byte[]> tokens = new ArrayList<>(N_TEXT_TOKENS);
    String[] syllables = {"ka", "lo", "mi", "ne", "su", "ra", "to", "vi", "de", "po", "fu", "ze", "an", "el", "or"};
    for (int i = 0; i < N_TEXT_TOKENS; i++) {
      String word;
      if (i == 220) {
        word = spaceToken ? " " : "_"; // GPT-2's id for " "
      } else {
        // a unique word per id: base-15 digits as syllables, every other one with a leading space
        StringBuilder b = new StringBuilder(i % 2 == 0 ? " " : "");
        int v = i;
        do {
          b.append(syllables[v % syllables.length]);
          v /= syllables.length;
        } while (v > 0);
        word = b.toString();
      }
      tokens.add(word.getBytes(StandardCharsets.UTF_8));
    }
    return tokens;
  }

  private enum Init { ZERO, ONE, SMALL, CONV, LINEAR }

  private static void mlp(OutputStream out, SplittableRandom rnd, String p, int s, int wtype) throws IOException {
    tensor(out, rnd, p + "mlp_ln.weight", TYPE_F32, Init.ONE, s);
    tensor(out, rnd, p + "mlp_ln.bias", TYPE_F32, Init.ZERO, s);
    tensor(out, rnd, p + "mlp.0.weight", wtype, Init.LINEAR, s, 4 * s);
    tensor(out, rnd, p + "mlp.0.bias", TYPE_F32, Init.ZERO, 4 * s);
    tensor(out, rnd, p + "mlp.2.weight", wtype, Init.LINEAR, 4 * s, s);
    tensor(out, rnd, p + "mlp.2.bias", TYPE_F32, Init.ZERO, s);
  }

  private static void attention(OutputStream out, SplittableRandom rnd, String p, int s, int wtype) throws IOException {
    tensor(out, rnd, p + "_ln.weight", TYPE_F32, Init.ONE, s);
    tensor(out, rnd, p + "_ln.bias", TYPE_F32, Init.ZERO, s);
    tensor(out, rnd, p + ".query.weight", wtype, Init.LINEAR, s, s);
    tensor(out, rnd, p + ".query.bias", TYPE_F32, Init.ZERO, s);
    tensor(out, rnd, p + ".key.weight", wtype, Init.LINEAR, s, s);
    tensor(out, rnd, p + ".value.weight", wtype, Init.LINEAR, s, s);
    tensor(out, rnd, p + ".value.bias", TYPE_F32, Init.ZERO, s);
    tensor(out, rnd, p + ".out.weight", wtype, Init.LINEAR, s, s);
    tensor(out, rnd, p + ".out.bias", TYPE_F32, Init.ZERO, s);
  }

  /** One tensor record: n_dims, name length, type, extents (ggml order), name, data. */
  private static void tensor(OutputStream out, SplittableRandom rnd, String name, int type, Init init, int... ne)
      throws IOException {
    byte[] n = name.getBytes(StandardCharsets.UTF_8);
    ByteBuffer h = le(12 + 4 * ne.length + n.length);
    h.putInt(ne.length).putInt(n.length).putInt(type);
    for (int e : ne) {
      h.putInt(e);
    }
    h.put(n);
    out.write(h.array());

    long count = 1;
    for (int e : ne) {
      count *= e;
    }
    int fanIn = ne[0] * (ne.length == 3 ? ne[1] : 1);
    double scale = switch (init) {
      case SMALL -> 0.02;
      case CONV, LINEAR -> 1.0 / Math.sqrt(fanIn);
      default -> 0;
    };
    float[] values = new float[Math.toIntExact(count)];
    for (int i = 0; i < values.length; i++) {
      values[i] = switch (init) {
        case ZERO -> 0f;
        case ONE -> 1f;
        default -> (float) ((rnd.nextDouble() * 2 - 1) * scale * Math.sqrt(3));
      };
    }
    out.write(switch (type) {
      case TYPE_F32 -> f32(values);
      case TYPE_Q5_1 -> q51(values);
      default -> f16(values);
    });
  }

  private static byte[] f32(float[] values) {
    ByteBuffer d = le(values.length * 4);
    for (float v : values) {
      d.putFloat(v);
    }
    return d.array();
  }

  private static byte[] f16(float[] values) {
    ByteBuffer d = le(values.length * 2);
    for (float v : values) {
      d.putShort(Float.floatToFloat16(v));
    }
    return d.array();
  }

  /**
   * ggml's {@code quantize_row_q5_1_ref}: per block of 32, the scale d = (max - min) / 31 and the
   * minimum as f16, then each weight's 5-bit level: low nibbles two to a byte (weight j and j + 16),
   * the fifth bits in one little-endian int32 (bit j for weight j). 24 bytes a block.
   */
  private static byte[] q51(float[] values) {
    ByteBuffer d = le(values.length / 32 * 24);
    for (int b = 0; b < values.length; b += 32) {
      float min = Float.POSITIVE_INFINITY;
      float max = Float.NEGATIVE_INFINITY;
      for (int j = 0; j < 32; j++) {
        min = Math.min(min, values[b + j]);
        max = Math.max(max, values[b + j]);
      }
      float scale = (max - min) / 31;
      float inverse = scale != 0 ? 1 / scale : 0;
      d.putShort(Float.floatToFloat16(scale)).putShort(Float.floatToFloat16(min));
      int high = 0;
      byte[] low = new byte[16];
      for (int j = 0; j < 16; j++) {
        int q0 = (int) ((values[b + j] - min) * inverse + 0.5f);
        int q1 = (int) ((values[b + 16 + j] - min) * inverse + 0.5f);
        low[j] = (byte) ((q0 & 0x0F) | (q1 & 0x0F) << 4);
        high |= (q0 >> 4 & 1) << j | (q1 >> 4 & 1) << (j + 16);
      }
      d.putInt(high).put(low);
    }
    return d.array();
  }

  private static byte[] ints(int... v) {
    ByteBuffer b = le(4 * v.length);
    for (int x : v) {
      b.putInt(x);
    }
    return b.array();
  }

  private static ByteBuffer le(int n) {
    return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
  }
}
