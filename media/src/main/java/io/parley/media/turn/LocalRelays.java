package io.parley.media.turn;

import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The relayed transport addresses of this node's own allocations, by port, and the hand-over of
 * data between two of them.
 *
 * <p>When both parties of a call are relayed by the same node (both behind NATs that need a
 * relay, or a call forced to relay-only), each allocation's peer is the other's relayed address:
 * one of the node's own addresses. Through the kernel, every message would leave one relay socket
 * and arrive at the other (two more system calls and a trip through the UDP stack per message),
 * and the peer policy refuses the node's own addresses anyway (a relay to them reaches the node's
 * own services). Instead, data an allocation sends to a relayed address of this node is handed to
 * that allocation in the process, as if its relay socket had received it from the sender's relayed
 * address: the receiver's permissions, channel bindings and bandwidth cap apply as to any peer. A
 * port of the node's own address that no allocation holds stays refused (nothing leaves towards
 * it), unless the operator allows the address as a peer.
 *
 * <p>Each allocation lives on its client's event loop. Between two allocations of one loop the
 * data goes over at once; when both clients are on UDP at the same listening address (each loop
 * has its own socket of that port), the sender's loop sends to the receiver's client through its
 * own socket, reading the receiver's concurrent state ({@link Allocation}); otherwise (a TCP or
 * TLS receiver, whose connection belongs to its loop) what a read burst sends is gathered per
 * loop and handed over as one task when the burst ends ({@link WriteBatch#flush}), bounded per
 * receiving allocation by the receive buffer its socket would have had
 * ({@link TurnServer#RELAY_RCVBUF}).
 */
final class LocalRelays {

  /**
   * Delivers data handed over to {@code to} on its loop, as from peer {@code from}; releases
   * {@code data}. {@code framed}: it arrived as ChannelData, its header still before it.
   */
  interface Receiver {
    void onLocalDatagram(Allocation to, InetSocketAddress from, ByteBuf data, boolean framed);
  }

  private final int low;
  private final AtomicReferenceArray<Allocation> ipv4;
  private final AtomicReferenceArray<Allocation> ipv6;
  private final InetAddress advertised4;
  /** Null when IPv6 relays are not offered. */
  private final InetAddress advertised6;

  LocalRelays(int portLow, int portHigh, InetAddress advertised4, InetAddress advertised6) {
    this.low = portLow;
    this.ipv4 = new AtomicReferenceArray<>(portHigh - portLow + 1);
    this.ipv6 = new AtomicReferenceArray<>(advertised6 == null ? 0 : portHigh - portLow + 1);
    this.advertised4 = advertised4;
    this.advertised6 = advertised6;
  }

  /** Whether {@code address} is one this node advertises its relays on. */
  boolean isRelayAddress(InetAddress address) {
    return address instanceof Inet4Address ? address.equals(advertised4) : address.equals(advertised6);
  }

  /** Makes the relayed addresses of {@code a} reachable from the node's other allocations. */
  void add(Allocation a) {
    for (InetSocketAddress relayed : a.relayedAddresses()) {
      table(relayed.getAddress()).set(relayed.getPort() - low, a);
    }
  }

  /** Forgets the relayed addresses of {@code a} (only where they still name it). */
  void remove(Allocation a) {
    for (InetSocketAddress relayed : a.relayedAddresses()) {
      table(relayed.getAddress()).compareAndSet(relayed.getPort() - low, a, null);
    }
  }

  /** The live allocation of this node whose relayed transport address is {@code peer}, or null. */
  Allocation find(InetSocketAddress peer) {
    InetAddress address = peer.getAddress();
    int index = peer.getPort() - low;
    if (!isRelayAddress(address)) {
      return null;
    }
    AtomicReferenceArray<Allocation> table = table(address);
    if (index < 0 || index >= table.length()) {
      return null;
    }
    Allocation a = table.get(index);
    return a == null || a.closed ? null : a;
  }

  /** Allocations of this node listed (tests). */
  int size() {
    int n = 0;
    for (AtomicReferenceArray<Allocation> t : List.of(ipv4, ipv6)) {
      for (int i = 0; i < t.length(); i++) {
        n += t.get(i) == null ? 0 : 1;
      }
    }
    return n;
  }

  private AtomicReferenceArray<Allocation> table(InetAddress address) {
    return address instanceof Inet4Address ? ipv4 : ipv6;
  }

  // --- hand-over -----------------------------------------------------------------------------------

  private static final ThreadLocal<Outbox> OUTBOX = ThreadLocal.withInitial(Outbox::new);

  /**
   * Hands {@code data} (ownership passes here) to {@code to} as from {@code from} ({@code framed}:
   * it arrived as ChannelData, its header still before it): now when
   * {@code to} lives on this thread's loop, else when this read burst ends. Returns false (and
   * releases {@code data}) when the data already waiting for {@code to} fills its receive buffer.
   */
  static boolean handOver(Receiver receiver, Allocation to, InetSocketAddress from, ByteBuf data,
                          boolean framed) {
    EventLoop loop = to.loop();
    if (loop.inEventLoop()) {
      receiver.onLocalDatagram(to, from, data, framed);
      return true;
    }
    int size = data.readableBytes();
    if (to.handedOver.addAndGet(size) > TurnServer.RELAY_RCVBUF) {
      to.handedOver.addAndGet(-size);
      data.release();
      return false;
    }
    OUTBOX.get().add(loop, new Pending(receiver, to, from, data, framed));
    return true;
  }

  /** Sends what this thread's read burst handed to other loops: one task per loop. */
  static void flush() {
    Outbox box = OUTBOX.get();
    if (!box.byLoop.isEmpty()) {
      box.send();
    }
  }

  /** One datagram on its way to an allocation of another loop. */
  private record Pending(Receiver receiver, Allocation to, InetSocketAddress from, ByteBuf data, boolean framed) {}

  /** What one thread's read burst hands to other loops, by loop. */
  private static final class Outbox {
    private final Map<EventLoop, List<Pending>> byLoop = new IdentityHashMap<>();

    void add(EventLoop loop, Pending p) {
      byLoop.computeIfAbsent(loop, l -> new ArrayList<>()).add(p);
    }

    void send() {
      for (Map.Entry<EventLoop, List<Pending>> e : byLoop.entrySet()) {
        List<Pending> batch = e.getValue();
        try {
          e.getKey().execute(() -> deliver(batch));
        } catch (java.util.concurrent.RejectedExecutionException shutDown) {
          for (Pending p : batch) {
            p.to().handedOver.addAndGet(-p.data().readableBytes());
            p.data().release();
          }
        }
      }
      byLoop.clear();
    }

    private static void deliver(List<Pending> batch) {
      for (Pending p : batch) {
        p.to().handedOver.addAndGet(-p.data().readableBytes());
        p.receiver().onLocalDatagram(p.to(), p.from(), p.data(), p.framed());
      }
      WriteBatch.flush(); // not inside a read burst: what the deliveries wrote leaves now
    }
  }
}
