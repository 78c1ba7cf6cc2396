// Plays PCM16 24 kHz chunks as they arrive, back to back, and knows how much of each answer has
// actually been heard: what barge-in reports with conversation.item.truncate.

export class Player {
  constructor(context) {
    this.ctx = context;
    this.sources = new Set();
    this.nextAt = 0;
    this.item = null; // the answer being played: {id, startedAt, scheduledMs}
  }

  /** Queues one chunk (ArrayBuffer of PCM16 LE) of answer `itemId`. */
  play(itemId, pcm) {
    const samples = new Int16Array(pcm);
    if (samples.length === 0) return;
    const buffer = this.ctx.createBuffer(1, samples.length, this.ctx.sampleRate);
    const data = buffer.getChannelData(0);
    for (let i = 0; i < samples.length; i++) data[i] = samples[i] / 0x8000;
    const source = this.ctx.createBufferSource();
    source.buffer = buffer;
    source.connect(this.ctx.destination);
    const now = this.ctx.currentTime;
    const at = Math.max(now + 0.02, this.nextAt);
    if (!this.item || this.item.id !== itemId) {
      this.item = { id: itemId, startedAt: at, scheduledMs: 0 };
    }
    source.start(at);
    this.nextAt = at + buffer.duration;
    this.item.scheduledMs += buffer.duration * 1000;
    this.sources.add(source);
    source.onended = () => this.sources.delete(source);
  }

  /** True while queued audio is still playing. */
  get playing() {
    return this.sources.size > 0;
  }

  /**
   * Stops at once and returns what of the current answer was heard: {itemId, playedMs}, or null
   * when nothing was playing.
   */
  stop() {
    const item = this.item;
    const heard = item ? Math.max(0, Math.min(item.scheduledMs, (this.ctx.currentTime - item.startedAt) * 1000)) : 0;
    const wasPlaying = this.playing;
    for (const s of this.sources) {
      try {
        s.stop();
      } catch {
        // already stopped
      }
    }
    this.sources.clear();
    this.nextAt = 0;
    this.item = null;
    return wasPlaying && item ? { itemId: item.id, playedMs: Math.round(heard) } : null;
  }
}
