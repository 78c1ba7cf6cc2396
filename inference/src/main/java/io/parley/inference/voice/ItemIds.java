package io.parley.inference.voice;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * The ids of a session's conversation items and answers, and the order of its items as a client
 * sees them: each committed item follows the last one, user turn or answer (its
 * {@code previous_item_id}); once the last is deleted, the one before it is last again (the latest
 * {@link #KEPT} are remembered). On the session's context.
 */
final class ItemIds {

  /** Items whose order is remembered, the oldest forgotten first (a client's items view holds as many). */
  static final int KEPT = 256;

  private long ids;
  private final Deque<String> order = new ArrayDeque<>();

  String newItem() {
    return "item_" + next();
  }

  String newResponse() {
    return "resp_" + next();
  }

  /** User turn {@code item} was committed: the event that says so, after the conversation's last item. */
  VoiceEvent.TurnCommitted committed(String item) {
    return new VoiceEvent.TurnCommitted(item, append(item));
  }

  /** Answer {@code item} ended: the next item follows it. */
  void answered(String item) {
    append(item);
  }

  /** A client created item {@code item} (conversation.item.create): it follows the last one. */
  void created(String item) {
    append(item);
  }

  /** Item {@code item} was deleted: the item before it is the last again, if it was the last. */
  void deleted(String item) {
    order.removeLastOccurrence(item);
  }

  /** The conversation's last item, or null before the first (or once every item was deleted). */
  String last() {
    return order.peekLast();
  }

  private String append(String item) {
    String previous = order.peekLast();
    order.addLast(item);
    if (order.size() > KEPT) {
      order.removeFirst();
    }
    return previous;
  }

  private String next() {
    return Long.toString(System.nanoTime(), 36) + ++ids;
  }
}
