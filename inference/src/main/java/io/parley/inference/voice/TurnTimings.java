package io.parley.inference.voice;

import io.vertx.core.json.JsonObject;
import java.time.Duration;

/**
 * One turn's latencies on one monotonic clock ({@code System.nanoTime}), all measured from the end
 * of the user's speech: final transcript, first LLM token, first TTS audio, response done. The
 * engines' own compute (Whisper) is kept beside them, so that pipeline overhead can be told apart.
 */
public final class TurnTimings {

  private final long endOfSpeech;
  private long transcribed;
  private long sttCompute;
  private long llmStarted;
  private long firstToken;
  private long firstSentence;
  private long ttsFirstChunkCompute = -1;
  private long firstAudio;
  private long done;

  public TurnTimings(long endOfSpeechNanos) {
    this.endOfSpeech = endOfSpeechNanos;
  }

  void transcribed(long at, Duration compute) {
    transcribed = at;
    // Only the compute after the end of speech is on the turn's path: a final taken over from an
    // interim that started earlier (StreamingTranscriber) ran partly before it.
    sttCompute = compute == null ? 0 : Math.max(0, Math.min(compute.toNanos(), at - endOfSpeech));
  }

  void llmStarted(long at) {
    llmStarted = at;
  }

  /** The first sentence went to speech synthesis. */
  void firstSentence(long at) {
    if (firstSentence == 0) {
      firstSentence = at;
    }
  }

  /** The TTS engine's own time from the first sentence to its first audio. */
  void ttsFirstChunk(long computeNanos) {
    if (ttsFirstChunkCompute < 0) {
      ttsFirstChunkCompute = computeNanos;
    }
  }

  void firstToken(long at) {
    if (firstToken == 0) {
      firstToken = at;
    }
  }

  void firstAudio(long at) {
    if (firstAudio == 0) {
      firstAudio = at;
    }
  }

  void done(long at) {
    done = at;
  }

  private Double ms(long at) {
    return at == 0 ? null : (at - endOfSpeech) / 1e6;
  }

  public Double transcriptMs() {
    return ms(transcribed);
  }

  public Double firstTokenMs() {
    return ms(firstToken);
  }

  public Double firstAudioMs() {
    return ms(firstAudio);
  }

  public Double doneMs() {
    return ms(done);
  }

  public double sttComputeMs() {
    return sttCompute / 1e6;
  }

  /** The LLM's own time from its request to the first whole sentence (prompt, then tokens), or null. */
  public Double llmFirstSentenceMs() {
    return llmStarted == 0 || firstSentence == 0 ? null : (firstSentence - llmStarted) / 1e6;
  }

  /** The TTS engine's own time to the first audio of the answer, or null. */
  public Double ttsFirstAudioMs() {
    return ttsFirstChunkCompute < 0 ? null : ttsFirstChunkCompute / 1e6;
  }

  /**
   * End of speech to first audio minus what the engines themselves spent on the way (Whisper's
   * final pass, the LLM up to its first sentence, TTS up to its first audio): the pipeline's own
   * cost — queueing, hand-offs between threads, event-loop hops. Null when a part is missing.
   */
  public Double overheadMs() {
    Double firstAudioMs = firstAudioMs();
    Double llm = llmFirstSentenceMs();
    Double tts = ttsFirstAudioMs();
    if (firstAudioMs == null || llm == null || tts == null || transcribed == 0) {
      return null;
    }
    return firstAudioMs - sttComputeMs() - llm - tts;
  }

  /** The {@code parley_timings} object sent with response.done. */
  public JsonObject toJson() {
    return new JsonObject()
        .put("end_of_speech_to_transcript_ms", transcriptMs())
        .put("end_of_speech_to_first_token_ms", firstTokenMs())
        .put("end_of_speech_to_first_audio_ms", firstAudioMs())
        .put("end_of_speech_to_done_ms", doneMs())
        .put("stt_compute_ms", sttComputeMs())
        .put("llm_first_sentence_ms", llmFirstSentenceMs())
        .put("tts_first_audio_ms", ttsFirstAudioMs())
        .put("pipeline_overhead_ms", overheadMs());
  }
}
