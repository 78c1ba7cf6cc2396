package io.parley.api.http;

import io.parley.api.http.MemoryUploads.Part;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code multipart/form-data} body (RFC 7578) read whole into one buffer, split into its parts
 * without copying: a file part's data is a slice of the body, so a photo upload holds its bytes once
 * (Netty's decoder kept up to 10 MiB of undecoded body beside the parts it had copied out). Form
 * fields are decoded as UTF-8.
 */
record MultipartBody(List<Part> files, Map<String, List<String>> fields) {

  private static final Pattern BOUNDARY = Pattern.compile("(?i);\\s*boundary=(?:\"([^\"]+)\"|([^;\\s]+))");
  // The quoted value unrolled ("normal* (escape normal*)*", possessive): an alternation inside the loop
  // recursed once per character, and a 20,000-character field name overflowed the event loop's stack.
  private static final Pattern PARAM = Pattern.compile(
      "(?i);\\s*(name|filename)\\s*=\\s*(?:\"([^\"\\\\]*+(?:\\\\.[^\"\\\\]*+)*+)\"|([^;\\s]*+))");
  private static final byte[] CRLF = {'\r', '\n'};
  private static final byte[] HEAD_END = {'\r', '\n', '\r', '\n'};

  /** A body that is not the multipart it says it is. */
  static final class MalformedException extends Exception {
    MalformedException(String message) {
      super(message);
    }
  }

  /** The boundary of a {@code multipart/form-data} content type, when it names one. */
  static Optional<String> boundary(String contentType) {
    Matcher m = BOUNDARY.matcher(contentType);
    return m.find() ? Optional.of(m.group(1) != null ? m.group(1) : m.group(2)) : Optional.empty();
  }

  static MultipartBody parse(Buffer body, String boundary) throws MalformedException {
    byte[] delimiter = ("--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
    byte[] separator = ("\r\n--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
    List<Part> files = new ArrayList<>();
    Map<String, List<String>> fields = new LinkedHashMap<>();
    int pos = indexOf(body, delimiter, 0);
    if (pos < 0) {
      throw new MalformedException("the multipart body has no part with the boundary of its Content-Type");
    }
    while (true) {
      pos += delimiter.length;
      if (startsWith(body, pos, new byte[] {'-', '-'})) {
        return new MultipartBody(List.copyOf(files), fields);
      }
      while (pos < body.length() && (body.getByte(pos) == ' ' || body.getByte(pos) == '\t')) {
        pos++;
      }
      if (!startsWith(body, pos, CRLF)) {
        throw new MalformedException("a boundary line of the multipart body is not followed by a line end");
      }
      pos += CRLF.length;
      int headEnd = startsWith(body, pos, CRLF) ? pos - CRLF.length : indexOf(body, HEAD_END, pos);
      if (headEnd < 0) {
        throw new MalformedException("a part of the multipart body has no end of headers");
      }
      String head = body.getString(pos, Math.max(pos, headEnd), StandardCharsets.UTF_8.name());
      int dataStart = headEnd + HEAD_END.length;
      int dataEnd = indexOf(body, separator, dataStart);
      if (dataEnd < 0) {
        throw new MalformedException("the multipart body ends inside a part (its closing boundary never came)");
      }
      add(head, body.slice(dataStart, dataEnd), files, fields);
      pos = dataEnd + CRLF.length;
    }
  }

  private static void add(String head, Buffer data, List<Part> files, Map<String, List<String>> fields) {
    String name = null;
    String fileName = null;
    String contentType = null;
    for (String line : head.split("\r\n")) {
      int colon = line.indexOf(':');
      if (colon < 0) {
        continue;
      }
      String header = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
      String value = line.substring(colon + 1).trim();
      if (header.equals("content-type")) {
        contentType = value;
      } else if (header.equals("content-disposition")) {
        Matcher m = PARAM.matcher(value);
        while (m.find()) {
          String v = m.group(2) != null ? m.group(2).replaceAll("\\\\(.)", "$1") : m.group(3);
          if (m.group(1).equalsIgnoreCase("name")) {
            name = v;
          } else {
            fileName = v;
          }
        }
      }
    }
    if (name == null) {
      return;
    }
    if (fileName != null) {
      files.add(new Part(name, fileName, contentType == null ? "application/octet-stream" : contentType, data));
    } else {
      fields.computeIfAbsent(name, k -> new ArrayList<>()).add(data.toString(StandardCharsets.UTF_8));
    }
  }

  private static boolean startsWith(Buffer body, int at, byte[] bytes) {
    if (at + bytes.length > body.length()) {
      return false;
    }
    for (int i = 0; i < bytes.length; i++) {
      if (body.getByte(at + i) != bytes[i]) {
        return false;
      }
    }
    return true;
  }

  private static int indexOf(Buffer body, byte[] bytes, int from) {
    for (int i = from, last = body.length() - bytes.length; i <= last; i++) {
      if (body.getByte(i) == bytes[0] && startsWith(body, i, bytes)) {
        return i;
      }
    }
    return -1;
  }
}
