package io.parley.inference.llm;

import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads and checks the header, metadata and tensor table of a
 * <a href="https://github.com/ggml-org/ggml/blob/master/docs/gguf.md">GGUF</a> file in Java, before
 * the file reaches llama.cpp: native code aborts the whole process on some malformed files (invalid
 * hyperparameters fail an assertion at the first decode), so a bad file must be refused here with a
 * clear message instead.
 *
 * <p>Checked: magic and version (2 or 3), bounded counts and string lengths, every metadata value
 * type, the tensor table (names unique, 1..4 dimensions, known ggml types, whole blocks, offsets
 * aligned and inside the file, no overlaps), and for language models the hyperparameters llama.cpp
 * relies on: embedding width, layer count, head counts (the query heads a multiple of the key/value
 * heads, the width a multiple of the heads), the normalisation epsilon
 * ({@code {arch}.attention.layer_norm_rms_epsilon} for llama), the tokenizer and the shapes of the
 * embedding and per-layer tensors where the architecture is llama.
 */
public final class GgufFile {

  /** "GGUF" read as a little-endian u32. */
  public static final int MAGIC = 0x46554747;
  public static final long MAX_TENSORS = 1 << 16;
  public static final long MAX_METADATA = 1 << 16;
  /** Longest metadata string (chat templates are a few KiB, merges lines short). */
  public static final long MAX_STRING_BYTES = 1 << 20;
  /** Most elements in one metadata array (vocabularies are ~260k, merges about as many). */
  public static final long MAX_ARRAY_ELEMENTS = 1 << 23;
  public static final int MAX_DIMS = 4;
  public static final int DEFAULT_ALIGNMENT = 32;

  /** Metadata value types of the GGUF spec. */
  private static final int UINT8 = 0, INT8 = 1, UINT16 = 2, INT16 = 3, UINT32 = 4, INT32 = 5,
      FLOAT32 = 6, BOOL = 7, STRING = 8, ARRAY = 9, UINT64 = 10, INT64 = 11, FLOAT64 = 12;

  /** ggml tensor types llama.cpp b4916 reads: {type id, elements per block, bytes per block}. */
  private static final Map<Integer, int[]> GGML_TYPES = ggmlTypes();

  /** Architectures that normalise with RMSNorm and so need {@code layer_norm_rms_epsilon}. */
  private static final Set<String> RMS_NORM_ARCHS = Set.of("llama", "qwen2", "qwen2moe", "qwen3",
      "qwen3moe", "gemma", "gemma2", "gemma3", "phi3", "granite", "granitemoe", "deepseek",
      "deepseek2", "olmo2", "internlm2", "minicpm", "minicpm3", "exaone", "mistral", "smollm",
      "cohere2", "chatglm", "nemotron", "arctic");

  /** Token types llama.cpp matches as special tokens in text: unknown (2), control (3), user-defined (4). */
  private static final Set<Integer> SPECIAL_TOKEN_TYPES = Set.of(2, 3, 4);
  /** A special token that reads as markup, see {@link #specialTokenTexts()}. */
  private static final Pattern MARKUP =
      Pattern.compile("(?=.*[^\\p{L}\\p{N}])[^\\s\\p{Z}\\p{Cf}]{2,}");

  /** One tensor of the table. */
  public record TensorInfo(String name, long[] dims, int type, long offset, long bytes) {}

  private final Path path;
  private final int version;
  private final Map<String, Object> metadata;
  private final Map<String, TensorInfo> tensors;

  private GgufFile(Path path, int version, Map<String, Object> metadata, Map<String, TensorInfo> tensors) {
    this.path = path;
    this.version = version;
    this.metadata = metadata;
    this.tensors = tensors;
  }

  /**
   * Reads the file's header and tensor table and checks them as a language model llama.cpp can run.
   *
   * @param configKey the setting that named the file, for the message (e.g. PARLEY_LLAMA_MODEL)
   * @throws ParleyException CONFIG when the file is missing or is not a usable GGUF model
   */
  public static GgufFile validateLanguageModel(Path path, String configKey) {
    GgufFile file = read(path, configKey);
    file.checkLanguageModel(configKey);
    return file;
  }

  /** Reads the header and tensor table, checking the structure only. */
  public static GgufFile read(Path path, String configKey) {
    if (!Files.isRegularFile(path)) {
      throw invalid(configKey, path, "no such file");
    }
    try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
      return new Reader(channel).read(path, configKey);
    } catch (NoSuchFileException e) {
      throw invalid(configKey, path, "no such file");
    } catch (EOFException e) {
      throw invalid(configKey, path, "truncated (ends inside the header or tensor table)");
    } catch (IOException e) {
      throw invalid(configKey, path, "unreadable: " + e.getMessage());
    }
  }

  public int version() {
    return version;
  }

  public Map<String, Object> metadata() {
    return metadata;
  }

  public Map<String, TensorInfo> tensors() {
    return tensors;
  }

  public Optional<String> architecture() {
    return metadata.get("general.architecture") instanceof String s ? Optional.of(s) : Optional.empty();
  }

  /** The Jinja chat template the model ships, if any. */
  public Optional<String> chatTemplate() {
    return metadata.get("tokenizer.chat_template") instanceof String s && !s.isBlank()
        ? Optional.of(s) : Optional.empty();
  }

  /**
   * The tokens that llama.cpp's tokenizer finds inside prompt text (it parses special tokens there:
   * types unknown, control and user-defined) and that read as markup: two characters or more, no
   * whitespace, at least one that is neither a letter nor a digit ({@code <|im_end|>}, {@code </s>},
   * {@code [INST]}). Plain words and whitespace runs that some vocabularies declare user-defined
   * are left out: they are text in any message. Empty when the vocabulary has no token types.
   */
  public List<String> specialTokenTexts() {
    if (!(metadata.get("tokenizer.ggml.tokens") instanceof List<?> tokens)
        || !(metadata.get("tokenizer.ggml.token_type") instanceof List<?> types) || types.size() != tokens.size()) {
      return List.of();
    }
    List<String> special = new ArrayList<>();
    for (int i = 0; i < tokens.size(); i++) {
      if (types.get(i) instanceof Number type && SPECIAL_TOKEN_TYPES.contains(type.intValue())
          && tokens.get(i) instanceof String text && MARKUP.matcher(text).matches()) {
        special.add(text);
      }
    }
    return List.copyOf(special);
  }

  /** The model's training context length, if it declares one. */
  public Optional<Long> contextLength() {
    return architecture().flatMap(a -> optionalUnsigned(a + ".context_length"));
  }

  private void checkLanguageModel(String key) {
    String arch = architecture().orElseThrow(() -> invalid(key, path, "general.architecture missing"));
    long nEmbd = requireUnsigned(key, arch + ".embedding_length");
    long nLayer = requireUnsigned(key, arch + ".block_count");
    requireUnsigned(key, arch + ".context_length");
    List<Long> heads = unsignedOrArray(key, arch + ".attention.head_count", true);
    List<Long> kvHeads = unsignedOrArray(key, arch + ".attention.head_count_kv", false);
    if (nEmbd == 0 || nLayer == 0) {
      throw invalid(key, path, arch + ".embedding_length and " + arch + ".block_count must be positive");
    }
    for (int i = 0; i < heads.size(); i++) {
      long h = heads.get(i);
      long kv = kvHeads.isEmpty() ? h : kvHeads.get(Math.min(i, kvHeads.size() - 1));
      if (h == 0) {
        continue; // layers without attention (hybrid models) declare 0 heads
      }
      if (kv == 0 || h % kv != 0) {
        throw invalid(key, path, arch + ".attention.head_count (" + h + ") is not a multiple of "
            + arch + ".attention.head_count_kv (" + kv + ")");
      }
      if (!metadata.containsKey(arch + ".attention.key_length") && nEmbd % h != 0) {
        throw invalid(key, path, arch + ".embedding_length (" + nEmbd + ") is not a multiple of "
            + arch + ".attention.head_count (" + h + ")");
      }
    }
    String rms = arch + ".attention.layer_norm_rms_epsilon";
    String ln = arch + ".attention.layer_norm_epsilon";
    if (RMS_NORM_ARCHS.contains(arch) && !metadata.containsKey(rms)) {
      throw invalid(key, path, rms + " missing");
    }
    if (!metadata.containsKey(rms) && !metadata.containsKey(ln)) {
      throw invalid(key, path, "neither " + rms + " nor " + ln + " is present");
    }
    for (String eps : List.of(rms, ln)) {
      Object v = metadata.get(eps);
      if (v != null && !(v instanceof Float f && f > 0 && f < 1)) {
        throw invalid(key, path, eps + " must be a float32 in (0, 1), got " + v);
      }
    }
    if (!(metadata.get("tokenizer.ggml.model") instanceof String)) {
      throw invalid(key, path, "tokenizer.ggml.model missing");
    }
    if (!(metadata.get("tokenizer.ggml.tokens") instanceof List<?> tokens) || tokens.isEmpty()) {
      throw invalid(key, path, "tokenizer.ggml.tokens missing or empty");
    }
    int nVocab = ((List<?>) metadata.get("tokenizer.ggml.tokens")).size();
    for (String parallel : List.of("tokenizer.ggml.scores", "tokenizer.ggml.token_type")) {
      if (metadata.get(parallel) instanceof List<?> l && l.size() != nVocab) {
        throw invalid(key, path, parallel + " has " + l.size() + " entries for " + nVocab + " tokens");
      }
    }
    for (String id : List.of("tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id",
        "tokenizer.ggml.unknown_token_id", "tokenizer.ggml.padding_token_id")) {
      Optional<Long> v = optionalUnsigned(id);
      if (v.isPresent() && v.get() >= nVocab && v.get() != 0xFFFFFFFFL) {
        throw invalid(key, path, id + " (" + v.get() + ") is outside the vocabulary of " + nVocab);
      }
    }
    TensorInfo embd = tensors.get("token_embd.weight");
    if (embd == null) {
      throw invalid(key, path, "tensor token_embd.weight missing");
    }
    if (embd.dims().length != 2 || embd.dims()[0] != nEmbd || embd.dims()[1] != nVocab) {
      throw invalid(key, path, "token_embd.weight has shape " + shape(embd.dims()) + ", expected ["
          + nEmbd + ", " + nVocab + "]");
    }
    if (arch.equals("llama")) {
      checkLlamaTensors(key, nEmbd, nLayer, heads.get(0), kvHeads.isEmpty() ? heads.get(0) : kvHeads.get(0));
    }
  }

  private void checkLlamaTensors(String key, long nEmbd, long nLayer, long nHead, long nHeadKv) {
    long nFf = requireUnsigned(key, "llama.feed_forward_length");
    long headK = optionalUnsigned("llama.attention.key_length").orElse(nEmbd / nHead);
    long headV = optionalUnsigned("llama.attention.value_length").orElse(nEmbd / nHead);
    expect(key, "output_norm.weight", nEmbd);
    for (long l = 0; l < nLayer; l++) {
      String p = "blk." + l + ".";
      expect(key, p + "attn_norm.weight", nEmbd);
      expect(key, p + "attn_q.weight", nEmbd, headK * nHead);
      expect(key, p + "attn_k.weight", nEmbd, headK * nHeadKv);
      expect(key, p + "attn_v.weight", nEmbd, headV * nHeadKv);
      expect(key, p + "attn_output.weight", headV * nHead, nEmbd);
      expect(key, p + "ffn_norm.weight", nEmbd);
      if (!tensors.containsKey(p + "ffn_gate_inp.weight")) { // dense, not mixture-of-experts
        expect(key, p + "ffn_gate.weight", nEmbd, nFf);
        expect(key, p + "ffn_up.weight", nEmbd, nFf);
        expect(key, p + "ffn_down.weight", nFf, nEmbd);
      }
    }
  }

  private void expect(String key, String name, long... dims) {
    TensorInfo t = tensors.get(name);
    if (t == null) {
      throw invalid(key, path, "tensor " + name + " missing");
    }
    if (!java.util.Arrays.equals(t.dims(), dims)) {
      throw invalid(key, path, "tensor " + name + " has shape " + shape(t.dims()) + ", expected " + shape(dims));
    }
  }

  private static String shape(long[] dims) {
    return java.util.Arrays.toString(dims);
  }

  private long requireUnsigned(String key, String name) {
    return optionalUnsigned(name).orElseThrow(() -> invalid(key, path, name + " missing"));
  }

  private Optional<Long> optionalUnsigned(String name) {
    Object v = metadata.get(name);
    return v == null ? Optional.empty() : Optional.ofNullable(asUnsigned(v));
  }

  private List<Long> unsignedOrArray(String key, String name, boolean required) {
    Object v = metadata.get(name);
    if (v == null) {
      if (required) {
        throw invalid(key, path, name + " missing");
      }
      return List.of();
    }
    List<Long> out = new ArrayList<>();
    if (v instanceof List<?> list) {
      for (Object o : list) {
        Long n = asUnsigned(o);
        if (n == null) {
          throw invalid(key, path, name + " must hold non-negative integers");
        }
        out.add(n);
      }
    } else {
      Long n = asUnsigned(v);
      if (n == null) {
        throw invalid(key, path, name + " must be a non-negative integer");
      }
      out.add(n);
    }
    if (out.isEmpty()) {
      throw invalid(key, path, name + " is empty");
    }
    return out;
  }

  private static Long asUnsigned(Object v) {
    if (v instanceof Integer i) {
      return i < 0 ? null : (long) i;
    }
    if (v instanceof Long l) {
      return l < 0 ? null : l;
    }
    if (v instanceof Short s) {
      return s < 0 ? null : (long) s;
    }
    if (v instanceof Byte b) {
      return b < 0 ? null : (long) b;
    }
    return null;
  }

  static ParleyException invalid(String key, Path path, String why) {
    return new ParleyException(Reason.CONFIG, key + ": " + path + " is not a usable GGUF model: " + why);
  }

  private static Map<Integer, int[]> ggmlTypes() {
    int[][] table = {
        {0, 1, 4}, {1, 1, 2}, {2, 32, 18}, {3, 32, 20}, {6, 32, 22}, {7, 32, 24}, {8, 32, 34},
        {9, 32, 36}, {10, 256, 84}, {11, 256, 110}, {12, 256, 144}, {13, 256, 176}, {14, 256, 210},
        {15, 256, 292}, {16, 256, 66}, {17, 256, 74}, {18, 256, 98}, {19, 256, 50}, {20, 32, 18},
        {21, 256, 110}, {22, 256, 82}, {23, 256, 136}, {24, 1, 1}, {25, 1, 2}, {26, 1, 4},
        {27, 1, 8}, {28, 1, 8}, {29, 256, 56}, {30, 1, 2}, {34, 256, 54}, {35, 256, 66},
    };
    Map<Integer, int[]> m = new HashMap<>();
    for (int[] row : table) {
      m.put(row[0], row);
    }
    return Map.copyOf(m);
  }

  /** A bounded little-endian reader over the file; every length is checked against what is left. */
  private static final class Reader {
    private final FileChannel channel;
    private final long size;
    private final ByteBuffer buffer = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
    private long bufferStart;

    Reader(FileChannel channel) throws IOException {
      this.channel = channel;
      this.size = channel.size();
      buffer.limit(0);
    }

    GgufFile read(Path path, String key) throws IOException {
      if (size < 24) {
        throw invalid(key, path, "truncated (" + size + " bytes)");
      }
      int magic = i32();
      if (magic != MAGIC) {
        throw invalid(key, path, String.format("bad magic 0x%08x (expected \"GGUF\")", magic));
      }
      int version = i32();
      if (version != 2 && version != 3) {
        throw invalid(key, path, "unsupported GGUF version " + version + " (2 or 3)");
      }
      long nTensors = i64();
      long nKv = i64();
      if (nTensors < 0 || nTensors > MAX_TENSORS || nKv < 0 || nKv > MAX_METADATA) {
        throw invalid(key, path, "implausible counts: " + nTensors + " tensors, " + nKv + " metadata entries");
      }
      Map<String, Object> metadata = new LinkedHashMap<>();
      for (long i = 0; i < nKv; i++) {
        String name = string(key, path);
        int type = i32();
        Object value = value(key, path, name, type, true);
        if (metadata.put(name, value) != null) {
          throw invalid(key, path, "duplicate metadata key " + name);
        }
      }
      long alignment = DEFAULT_ALIGNMENT;
      Object a = metadata.get("general.alignment");
      if (a != null) {
        if (!(a instanceof Integer ai) || ai <= 0 || Integer.bitCount(ai) != 1) {
          throw invalid(key, path, "general.alignment must be a u32 power of two, got " + a);
        }
        alignment = ai;
      }
      List<TensorInfo> infos = new ArrayList<>();
      Map<String, TensorInfo> byName = new LinkedHashMap<>();
      for (long i = 0; i < nTensors; i++) {
        String name = string(key, path);
        int nDims = i32();
        if (nDims < 1 || nDims > MAX_DIMS) {
          throw invalid(key, path, "tensor " + name + " has " + nDims + " dimensions");
        }
        long[] dims = new long[nDims];
        long elements = 1;
        for (int d = 0; d < nDims; d++) {
          dims[d] = i64();
          if (dims[d] <= 0 || dims[d] > size * 8) {
            throw invalid(key, path, "tensor " + name + " has dimension " + dims[d]);
          }
          elements = Math.multiplyExact(elements, dims[d]);
        }
        int type = i32();
        int[] traits = GGML_TYPES.get(type);
        if (traits == null) {
          throw invalid(key, path, "tensor " + name + " has unsupported ggml type " + type);
        }
        if (dims[0] % traits[1] != 0) {
          throw invalid(key, path, "tensor " + name + " rows of " + dims[0] + " are not whole blocks of " + traits[1]);
        }
        long bytes = Math.multiplyExact(elements / traits[1], (long) traits[2]);
        long offset = i64();
        if (offset < 0 || offset % alignment != 0) {
          throw invalid(key, path, "tensor " + name + " offset " + offset + " is not aligned to " + alignment);
        }
        TensorInfo info = new TensorInfo(name, dims, type, offset, bytes);
        if (byName.put(name, info) != null) {
          throw invalid(key, path, "duplicate tensor " + name);
        }
        infos.add(info);
      }
      long dataStart = (position() + alignment - 1) / alignment * alignment;
      infos.sort((x, y) -> Long.compare(x.offset(), y.offset()));
      long end = 0;
      for (TensorInfo t : infos) {
        if (t.offset() < end) {
          throw invalid(key, path, "tensor " + t.name() + " overlaps the tensor before it");
        }
        end = t.offset() + t.bytes();
        if (dataStart + end > size) {
          throw invalid(key, path, "truncated: tensor " + t.name() + " ends at byte " + (dataStart + end)
              + " of a " + size + "-byte file");
        }
      }
      return new GgufFile(path, version, metadata, byName);
    }

    private Object value(String key, Path path, String name, int type, boolean arrayAllowed) throws IOException {
      return switch (type) {
        case UINT8, INT8 -> (byte) u8();
        case UINT16, INT16 -> i16();
        case UINT32, INT32 -> i32();
        case FLOAT32 -> Float.intBitsToFloat(i32());
        case BOOL -> {
          int b = u8();
          if (b > 1) {
            throw invalid(key, path, "metadata " + name + " has a bool of " + b);
          }
          yield b == 1;
        }
        case STRING -> string(key, path);
        case UINT64, INT64 -> i64();
        case FLOAT64 -> Double.longBitsToDouble(i64());
        case ARRAY -> {
          if (!arrayAllowed) {
            throw invalid(key, path, "metadata " + name + " nests arrays");
          }
          int elementType = i32();
          long n = i64();
          if (n < 0 || n > MAX_ARRAY_ELEMENTS || n > size - position()) {
            throw invalid(key, path, "metadata " + name + " claims " + n + " elements");
          }
          List<Object> list = new ArrayList<>((int) Math.min(n, 1 << 16));
          for (long i = 0; i < n; i++) {
            list.add(value(key, path, name, elementType, false));
          }
          yield List.copyOf(list);
        }
        default -> throw invalid(key, path, "metadata " + name + " has unknown value type " + type);
      };
    }

    private String string(String key, Path path) throws IOException {
      long n = i64();
      if (n < 0 || n > MAX_STRING_BYTES || n > size - position()) {
        throw invalid(key, path, "a string claims " + n + " bytes at offset " + position());
      }
      byte[] b = new byte[(int) n];
      int done = 0;
      while (done < n) {
        ensure(1);
        int chunk = Math.min(buffer.remaining(), (int) n - done);
        buffer.get(b, done, chunk);
        done += chunk;
      }
      try {
        return StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT)
            .decode(ByteBuffer.wrap(b)).toString();
      } catch (CharacterCodingException e) {
        throw invalid(key, path, "a string at offset " + (position() - n) + " is not UTF-8");
      }
    }

    private long position() {
      return bufferStart + buffer.position();
    }

    private int u8() throws IOException {
      ensure(1);
      return buffer.get() & 0xff;
    }

    private short i16() throws IOException {
      ensure(2);
      return buffer.getShort();
    }

    private int i32() throws IOException {
      ensure(4);
      return buffer.getInt();
    }

    private long i64() throws IOException {
      ensure(8);
      return buffer.getLong();
    }

    private void ensure(int n) throws IOException {
      if (buffer.remaining() >= n) {
        return;
      }
      bufferStart += buffer.position();
      buffer.compact();
      while (buffer.position() < n) {
        int r = channel.read(buffer, bufferStart + buffer.position());
        if (r < 0) {
          throw new EOFException();
        }
      }
      buffer.flip();
    }
  }
}
