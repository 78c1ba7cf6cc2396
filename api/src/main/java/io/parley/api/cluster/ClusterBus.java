package io.parley.api.cluster;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.redis.client.ResponseType;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Messages between the nodes of a cluster over Redis pub/sub. Subscriptions use one connection of
 * their own (a subscribed connection cannot run other commands); publishing uses another, single
 * connection of the bus.
 * When the subscriber connection drops, the bus reconnects with backoff and subscribes again to
 * every channel it had. Every message carries the publishing node's id in {@code node}, so a node
 * can tell its own messages apart.
 *
 * <p>Delivery is at most once: a message published while a node is disconnected is lost for that
 * node. Everything built on the bus therefore has a second path that does not depend on it (call
 * clocks, credential expiry, periodic reconciliation with PostgreSQL).
 */
public final class ClusterBus implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ClusterBus.class);
  /** Channel every node listens to: call ends, revocations, invalidations. */
  public static final String BROADCAST = "parley:cluster";
  private static final long MAX_BACKOFF_MS = 5_000;
  /** Subscriber health check interval and PING timeout. */
  static final long HEALTH_MILLIS = 5_000;
  private long healthTimer = -1;
  private volatile long pingSentNanos;
  private volatile long lastHeardNanos = System.nanoTime();

  private final Vertx vertx;
  private final Redis client;
  private final Redis publisherClient;
  private Future<RedisConnection> publisher;
  private final String nodeId;
  private final Map<String, List<Handler<JsonObject>>> handlers = new ConcurrentHashMap<>();
  private final List<Runnable> connectedListeners = new CopyOnWriteArrayList<>();
  private final AtomicLong published = new AtomicLong();
  private final AtomicLong received = new AtomicLong();
  private volatile RedisConnection subscriber;
  private volatile boolean closed;
  private long backoffMs = 100;

  public ClusterBus(Vertx vertx, RedisOptions options, String nodeId) {
    this.vertx = vertx;
    this.client = Redis.createClient(vertx, new RedisOptions(options).setMaxPoolSize(1));
    this.publisherClient = Redis.createClient(vertx, new RedisOptions(options).setMaxPoolSize(1));
    this.nodeId = nodeId;
  }

  /** Connects the subscriber. Completes even if Redis is down (the bus keeps trying). */
  public Future<Void> start() {
    Promise<Void> first = Promise.promise();
    connect(first);
    healthTimer = vertx.setPeriodic(HEALTH_MILLIS, id -> checkHealth());
    return first.future();
  }

  /**
   * A subscriber connection can die without the socket noticing (a half-open TCP connection): PING
   * it, and reconnect when no answer comes in time.
   */
  private void checkHealth() {
    RedisConnection c = subscriber;
    if (c == null || closed) {
      return;
    }
    long now = System.nanoTime();
    long sent = pingSentNanos;
    if (sent != 0 && lastHeardNanos - sent < 0 && now - sent > HEALTH_MILLIS * 1_000_000L) {
      LOG.warn("cluster bus: Redis did not answer a PING within {} ms, reconnecting", HEALTH_MILLIS);
      pingSentNanos = 0;
      subscriber = null;
      c.close();
      retry();
      return;
    }
    // On a subscribed connection the answer may come back as a push ("pong") rather than as the
    // reply of this send: either counts (onPush records everything it hears).
    pingSentNanos = now;
    c.send(Request.cmd(Command.PING)).onSuccess(r -> lastHeardNanos = System.nanoTime());
  }

  public String nodeId() {
    return nodeId;
  }

  /** Runs {@code listener} each time the subscriber (re)connects: what was published meanwhile is lost. */
  public void onConnected(Runnable listener) {
    connectedListeners.add(listener);
  }

  /** True while the subscriber connection is up. */
  public boolean connected() {
    return subscriber != null;
  }

  public long published() {
    return published.get();
  }

  public long received() {
    return received.get();
  }

  /** Adds a handler for {@code channel}, subscribing the node when it is the first. */
  public void subscribe(String channel, Handler<JsonObject> handler) {
    // Commands are sent inside compute: SUBSCRIBE and UNSUBSCRIBE of one channel from two event
    // loops then reach Redis in the order the map changed.
    handlers.compute(channel, (k, list) -> {
      if (list == null) {
        list = new CopyOnWriteArrayList<>();
        RedisConnection c = subscriber;
        if (c != null) {
          c.send(Request.cmd(Command.SUBSCRIBE).arg(channel))
              .onFailure(t -> LOG.warn("cluster bus: SUBSCRIBE {} failed: {}", channel, t.toString()));
        }
      }
      list.add(handler);
      return list;
    });
  }

  /** Removes a handler, unsubscribing the node when it was the last. */
  public void unsubscribe(String channel, Handler<JsonObject> handler) {
    handlers.computeIfPresent(channel, (k, list) -> {
      list.remove(handler);
      if (!list.isEmpty()) {
        return list;
      }
      RedisConnection c = subscriber;
      if (c != null) {
        c.send(Request.cmd(Command.UNSUBSCRIBE).arg(channel))
            .onFailure(t -> LOG.debug("cluster bus: UNSUBSCRIBE {} failed: {}", channel, t.toString()));
      }
      return null;
    });
  }

  /**
   * Publishes {@code message} (with this node's id added) to {@code channel}. All publishes of a
   * node go over one connection, pipelined, so that receivers see them in the order they were made
   * (a pool would spread them over connections and reorder them).
   */
  public Future<Void> publish(String channel, JsonObject message) {
    message.put("node", nodeId);
    published.incrementAndGet();
    Request publish = Request.cmd(Command.PUBLISH).arg(channel).arg(message.encode());
    return publisherConnection().compose(c -> c.send(publish)).mapEmpty();
  }

  private synchronized Future<RedisConnection> publisherConnection() {
    if (publisher == null || publisher.failed()) {
      Future<RedisConnection> f = publisherClient.connect();
      publisher = f;
      f.onSuccess(c -> {
        c.exceptionHandler(t -> dropPublisher(f));
        c.endHandler(v -> dropPublisher(f));
      });
    }
    return publisher;
  }

  private synchronized void dropPublisher(Future<RedisConnection> which) {
    if (publisher == which) {
      publisher = null;
    }
  }

  private void connect(Promise<Void> first) {
    if (closed) {
      first.tryComplete();
      return;
    }
    client.connect().onComplete(ar -> {
      if (ar.failed()) {
        LOG.warn("cluster bus: cannot connect to Redis ({}), retrying in {} ms", ar.cause().toString(), backoffMs);
        first.tryComplete();
        retry();
        return;
      }
      RedisConnection c = ar.result();
      if (closed) {
        c.close();
        first.tryComplete();
        return;
      }
      c.handler(this::onPush);
      c.exceptionHandler(t -> LOG.warn("cluster bus: connection error: {}", t.toString()));
      c.endHandler(v -> {
        if (subscriber == c) {
          subscriber = null;
          LOG.warn("cluster bus: connection to Redis lost, reconnecting");
          retry();
        }
      });
      List<String> channels = List.copyOf(handlers.keySet());
      Future<Response> subscribed = channels.isEmpty()
          ? Future.succeededFuture()
          : c.send(subscribeAll(channels));
      subscribed.onComplete(s -> {
        if (s.failed()) {
          LOG.warn("cluster bus: SUBSCRIBE failed: {}", s.cause().toString());
          c.close();
          first.tryComplete();
          retry();
          return;
        }
        backoffMs = 100;
        connectedListeners.forEach(Runnable::run);
        subscriber = c;
        // Channels added while the SUBSCRIBE above was in flight.
        for (String ch : handlers.keySet()) {
          if (!channels.contains(ch)) {
            c.send(Request.cmd(Command.SUBSCRIBE).arg(ch));
          }
        }
        LOG.info("cluster bus: subscribed as node {} ({} channels)", nodeId, handlers.size());
        first.tryComplete();
      });
    });
  }

  private static Request subscribeAll(List<String> channels) {
    Request r = Request.cmd(Command.SUBSCRIBE);
    channels.forEach(r::arg);
    return r;
  }

  private void retry() {
    if (closed) {
      return;
    }
    long delay = backoffMs;
    backoffMs = Math.min(MAX_BACKOFF_MS, backoffMs * 2);
    vertx.setTimer(delay, id -> connect(Promise.promise()));
  }

  /** RESP3 push: ["message", channel, payload]; RESP2 multi-bulk has the same elements. */
  private void onPush(Response push) {
    lastHeardNanos = System.nanoTime();
    if (push == null || (push.type() != ResponseType.PUSH && push.type() != ResponseType.MULTI) || push.size() < 3) {
      return;
    }
    if (!"message".equals(push.get(0).toString())) {
      return;
    }
    String channel = push.get(1).toString();
    List<Handler<JsonObject>> list = handlers.get(channel);
    if (list == null) {
      return;
    }
    JsonObject message;
    try {
      message = new JsonObject(push.get(2).toString());
    } catch (RuntimeException e) {
      LOG.warn("cluster bus: undecodable message on {}", channel);
      return;
    }
    received.incrementAndGet();
    for (Handler<JsonObject> h : list) {
      try {
        h.handle(message);
      } catch (RuntimeException e) {
        LOG.warn("cluster bus: handler for {} failed: {}", channel, e.toString());
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    if (healthTimer >= 0) {
      vertx.cancelTimer(healthTimer);
    }
    RedisConnection c = subscriber;
    subscriber = null;
    if (c != null) {
      c.close();
    }
    client.close();
    publisherClient.close();
  }
}
