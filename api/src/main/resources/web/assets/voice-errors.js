// What the page says for a realtime `error` event: the server's message is written for developers
// (it names settings and fields); a person talking to the assistant gets what happened and what to
// do, by the error's code. Codes without a sentence here show the server's message, which for them
// is the useful part (a missing model names the command that fetches it).
const SENTENCES = {
  engine_restarted: "The assistant's speech engine restarted and this answer was lost.",
  engine_busy: "The assistant is busy right now.",
  model_failed: "The assistant could not answer this time. Ask again.",
  tts_failed: "The answer could not be spoken; its text is shown.",
  vad_failed: "Speech detection stopped working; the assistant may not hear you until it recovers.",
  conversation_not_stored: "This part of the conversation could not be saved.",
};

/** The sentence for a realtime error object ({code, message}); the retry time when the message has one. */
export function explain(error) {
  if (!error) return "The assistant reported an error.";
  const sentence = SENTENCES[error.code];
  if (!sentence) return error.message || "The assistant reported an error.";
  const retry = /retry in (\d+) s/.exec(error.message || "");
  return retry ? `${sentence} Try again in ${retry[1]} s.` : sentence;
}
