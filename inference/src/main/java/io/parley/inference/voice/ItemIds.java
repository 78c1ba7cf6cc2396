package io.parley.inference.voice;

/**
 * The ids of a session's conversation items and answers, and the order of its items as a client
 * sees them: each committed item follows the last one, user turn or answer (its
 * {@code previous_item_id}). On the session's context.
 */
final class ItemIds {

  private long ids;
  private String last;

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

  /** The conversation's last item, or null before the first. */
  String last() {
    return last;
  }

  private String append(String item) {
    String previous = last;
    last = item;
    return previous;
  }

  private String next() {
    return Long.toString(System.nanoTime(), 36) + ++ids;
  }
}
