package io.parley.api.lifecycle;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * Reads a Redis string key, or runs a command, over a plain socket (RESP2, one command per
 * connection), to look at or set up what Parley keeps in Redis without going through its own client.
 */
final class RedisProbe {

  private RedisProbe() {}

  /** The value of {@code key}, or null when it does not exist. */
  static String get(int port, String key) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2_000);
      s.setSoTimeout(2_000);
      OutputStream out = s.getOutputStream();
      byte[] k = key.getBytes(StandardCharsets.UTF_8);
      out.write(("*2\r\n$3\r\nGET\r\n$" + k.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
      out.write(k);
      out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = new BufferedInputStream(s.getInputStream());
      String header = line(in);
      if (header.startsWith("$-1")) {
        return null;
      }
      if (!header.startsWith("$")) {
        throw new IllegalStateException("unexpected Redis reply to GET " + key + ": " + header);
      }
      int len = Integer.parseInt(header.substring(1));
      byte[] value = in.readNBytes(len);
      return new String(value, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("Redis on port " + port + ": " + e.getMessage(), e);
    }
  }

  /** Runs one command; returns the first line of its reply (e.g. {@code +OK}, {@code :1}). */
  static String command(int port, String... args) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2_000);
      s.setSoTimeout(2_000);
      ByteArrayOutputStream req = new ByteArrayOutputStream();
      req.writeBytes(("*" + args.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
      for (String a : args) {
        byte[] b = a.getBytes(StandardCharsets.UTF_8);
        req.writeBytes(("$" + b.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
        req.writeBytes(b);
        req.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
      }
      OutputStream out = s.getOutputStream();
      out.write(req.toByteArray());
      out.flush();
      String reply = line(new BufferedInputStream(s.getInputStream()));
      if (reply.startsWith("-")) {
        throw new IllegalStateException("Redis refused " + args[0] + ": " + reply);
      }
      return reply;
    } catch (IOException e) {
      throw new UncheckedIOException("Redis on port " + port + ": " + e.getMessage(), e);
    }
  }

  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) != -1 && c != '\n') {
      if (c != '\r') {
        b.write(c);
      }
    }
    return b.toString(StandardCharsets.UTF_8);
  }
}
