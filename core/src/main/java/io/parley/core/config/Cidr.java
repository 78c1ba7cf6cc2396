package io.parley.core.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/** An IPv4 or IPv6 address range in CIDR notation, e.g. {@code 127.0.0.0/8}. */
public record Cidr(byte[] network, int prefix) {

  public Cidr {
    if (network.length != 4 && network.length != 16) {
      throw new IllegalArgumentException("address must be 4 or 16 bytes");
    }
    if (prefix < 0 || prefix > network.length * 8) {
      throw new IllegalArgumentException("prefix out of range");
    }
    network = mask(network.clone(), prefix);
  }

  /**
   * Parses {@code a.b.c.d/n} or {@code v6::/n}; a bare address is a host route. Only literal
   * addresses are accepted: no name resolution.
   */
  public static Cidr parse(String text) {
    String s = text.trim();
    int slash = s.indexOf('/');
    String addr = slash < 0 ? s : s.substring(0, slash);
    if (!addr.matches("[0-9a-fA-F:.]+") || (!addr.contains(".") && !addr.contains(":"))) {
      throw new IllegalArgumentException("not an IP address literal: " + text);
    }
    byte[] bytes;
    try {
      bytes = InetAddress.getByName(addr).getAddress();
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("not an IP address: " + text, e);
    }
    int prefix;
    try {
      prefix = slash < 0 ? bytes.length * 8 : Integer.parseInt(s.substring(slash + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("bad prefix length: " + text, e);
    }
    return new Cidr(bytes, prefix);
  }

  /** Whether {@code address} lies in this range (an IPv4 range never contains an IPv6 address). */
  public boolean contains(InetAddress address) {
    byte[] a = address.getAddress();
    return a.length == network.length && Arrays.equals(mask(a, prefix), network);
  }

  private static byte[] mask(byte[] bytes, int prefix) {
    for (int i = 0; i < bytes.length; i++) {
      int bits = Math.max(0, Math.min(8, prefix - i * 8));
      bytes[i] &= (byte) (0xFF << (8 - bits));
    }
    return bytes;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Cidr c && c.prefix == prefix && Arrays.equals(c.network, network);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(network) * 31 + prefix;
  }

  @Override
  public String toString() {
    try {
      return InetAddress.getByAddress(network).getHostAddress() + "/" + prefix;
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }
}
