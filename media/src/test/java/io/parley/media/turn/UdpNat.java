package io.parley.media.turn;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A user-space UDP NAT on loopback for tests, in front of one upstream server: each inside address
 * that sends to {@link #address()} gets its own outside socket (its mapping), from which its
 * datagrams go to the upstream; datagrams from the upstream to a mapping go back to its inside
 * address, anything else is filtered. A STUN server behind it must therefore report the mapping, a
 * port the client itself does not know, as the client's reflexive address.
 */
final class UdpNat implements AutoCloseable {

  private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

  private final InetSocketAddress upstream;
  private final DatagramSocket front;
  private final Map<InetSocketAddress, DatagramSocket> mappings = new ConcurrentHashMap<>();
  private final List<Thread> threads = new CopyOnWriteArrayList<>();
  private volatile boolean closed;

  UdpNat(InetSocketAddress upstream) throws SocketException {
    this.upstream = upstream;
    this.front = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0));
    threads.add(Thread.ofPlatform().daemon().name("udp-nat-front").start(this::insideToOutside));
  }

  /** Where inside clients send to reach the upstream. */
  InetSocketAddress address() {
    return (InetSocketAddress) front.getLocalSocketAddress();
  }

  /** The outside address given to {@code inside}, or null if it has sent nothing yet. */
  InetSocketAddress mapping(InetSocketAddress inside) {
    DatagramSocket s = mappings.get(inside);
    return s == null ? null : (InetSocketAddress) s.getLocalSocketAddress();
  }

  /** Every inside address seen so far, with its outside address. */
  Map<InetSocketAddress, InetSocketAddress> mappings() {
    Map<InetSocketAddress, InetSocketAddress> out = new java.util.HashMap<>();
    mappings.forEach((in, s) -> out.put(in, (InetSocketAddress) s.getLocalSocketAddress()));
    return out;
  }

  private void insideToOutside() {
    byte[] buf = new byte[65_536];
    while (!closed) {
      DatagramPacket p = new DatagramPacket(buf, buf.length);
      try {
        front.receive(p);
        InetSocketAddress inside = (InetSocketAddress) p.getSocketAddress();
        DatagramSocket out = mappings.computeIfAbsent(inside, this::open);
        out.send(new DatagramPacket(p.getData(), p.getOffset(), p.getLength(), upstream));
      } catch (IOException | UncheckedIOException e) {
        if (closed) {
          return;
        }
      }
    }
  }

  private DatagramSocket open(InetSocketAddress inside) {
    try {
      DatagramSocket s = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0));
      threads.add(Thread.ofPlatform().daemon().name("udp-nat-" + s.getLocalPort())
          .start(() -> outsideToInside(s, inside)));
      return s;
    } catch (SocketException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void outsideToInside(DatagramSocket s, InetSocketAddress inside) {
    byte[] buf = new byte[65_536];
    while (!closed) {
      DatagramPacket p = new DatagramPacket(buf, buf.length);
      try {
        s.receive(p);
        if (p.getSocketAddress().equals(upstream)) { // address- and port-restricted filtering
          front.send(new DatagramPacket(p.getData(), p.getOffset(), p.getLength(), inside));
        }
      } catch (IOException e) {
        if (closed) {
          return;
        }
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    front.close();
    // The front thread is the only one that opens mappings: once it has ended, all are known.
    join(threads.get(0));
    mappings.values().forEach(DatagramSocket::close);
    threads.forEach(UdpNat::join);
  }

  private static void join(Thread t) {
    try {
      t.join(2_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
