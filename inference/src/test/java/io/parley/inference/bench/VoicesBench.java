package io.parley.inference.bench;

import io.parley.inference.tts.EspeakTts;
import io.parley.inference.tts.FreeTts;
import io.parley.inference.tts.SpeechStyle;
import io.parley.inference.tts.TextToSpeech;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * eSpeak NG and FreeTTS real-time factors (synthesis time / audio duration, lower is faster) side by
 * side in one run: the same English paragraph ({@link TtsBench#TEXT}) on both, then eSpeak NG on the
 * same paragraph in other languages. Warm, one synthesis at a time on one worker thread, the
 * engines alternating each round; median of {@code runs} rounds. Prints one JSON line. Not a unit
 * test: run its {@code main} on the test class path.
 */
public final class VoicesBench {

  static final int WARM_UP_RUNS = 3;
  /** {@link TtsBench#TEXT} in the products' other languages, by eSpeak NG voice. */
  static final Map<String, String> TRANSLATIONS = Map.of(
      "es", "Buenos días. Por lo que me contó ayer, le sugiero un desayuno más ligero hoy, con algo de fruta, un "
          + "tazón de avena y un vaso de agua. Intente dar un paseo corto después del almuerzo y dígame cómo se "
          + "siente por la tarde.",
      "fr", "Bonjour. D'après ce que vous m'avez dit hier, je vous suggère un petit-déjeuner plus léger "
          + "aujourd'hui, avec des fruits, un bol de flocons d'avoine et un verre d'eau. Essayez de faire une "
          + "courte promenade après le déjeuner, et dites-moi comment vous vous sentez ce soir.",
      "de", "Guten Morgen. Nach dem, was Sie mir gestern erzählt haben, schlage ich heute ein leichteres "
          + "Frühstück vor, mit etwas Obst, einer Schüssel Haferflocken und einem Glas Wasser. Machen Sie nach dem "
          + "Mittagessen einen kurzen Spaziergang und sagen Sie mir am Abend, wie Sie sich fühlen.",
      "hi", "सुप्रभात। कल आपने जो बताया, उसके आधार पर आज मैं हल्का नाश्ता सुझाऊँगा, कुछ फल, एक कटोरी ओट्स और एक गिलास "
          + "पानी। दोपहर के खाने के बाद थोड़ी देर टहलने की कोशिश करें, और शाम को मुझे बताएं कि आप कैसा महसूस करते हैं।",
      "ar", "صباح الخير. بناءً على ما أخبرتني به أمس، أقترح عليك فطورًا أخف اليوم، مع بعض الفاكهة ووعاء من الشوفان "
          + "وكوب من الماء. حاول أن تمشي قليلًا بعد الغداء، وأخبرني كيف تشعر في المساء.",
      "cmn", "早上好。根据你昨天告诉我的情况，我建议你今天吃一份清淡一点的早餐，一些水果，一碗燕麦粥和一杯水。"
          + "午饭后试着散散步，晚上告诉我你感觉怎么样。",
      "ja", "おはようございます。昨日のお話から、今日は果物とオートミールと水一杯の軽めの朝食をおすすめします。"
          + "昼食の後に少し散歩をして、夕方に気分を教えてください。",
      "ko", "좋은 아침입니다. 어제 말씀하신 내용을 바탕으로 오늘은 과일과 오트밀 한 그릇, 물 한 잔으로 가벼운 아침 "
          + "식사를 권해 드립니다. 점심 후에 잠깐 산책해 보시고 저녁에 기분이 어떤지 알려 주세요.");

  public static void main(String[] args) throws Exception {
    int runs = args.length > 0 ? Integer.parseInt(args[0]) : 7;
    ExecutorService worker = Executors.newSingleThreadExecutor(Thread.ofPlatform().name("tts-bench").factory());
    try (FreeTts freeTts = new FreeTts(FreeTts.VOICE, 1); EspeakTts espeak = EspeakTts.open("libespeak-ng.so.1", null)) {
      Map<String, double[]> rtf = new LinkedHashMap<>();
      rtf.put("freetts_en", new double[runs]);
      rtf.put("espeak_en", new double[runs]);
      TRANSLATIONS.keySet().stream().sorted().forEach(l -> rtf.put("espeak_" + l, new double[runs]));
      for (int round = -WARM_UP_RUNS; round < runs; round++) {
        int r = round;
        double free = worker.submit(() -> rtf(freeTts, TtsBench.TEXT, null)).get(5, TimeUnit.MINUTES);
        double esp = worker.submit(() -> rtf(espeak, TtsBench.TEXT, "en-us")).get(5, TimeUnit.MINUTES);
        if (r < 0) {
          continue;
        }
        rtf.get("freetts_en")[r] = free;
        rtf.get("espeak_en")[r] = esp;
        for (Map.Entry<String, String> t : TRANSLATIONS.entrySet()) {
          rtf.get("espeak_" + t.getKey())[r] = worker.submit(() -> rtf(espeak, t.getValue(), t.getKey()))
              .get(5, TimeUnit.MINUTES);
        }
      }
      double freeMedian = TtsBench.median(rtf.get("freetts_en"));
      double espeakMedian = TtsBench.median(rtf.get("espeak_en"));
      String medians = rtf.entrySet().stream()
          .map(e -> String.format(Locale.ROOT, "\"%s\":%.5f", e.getKey(), TtsBench.median(e.getValue())))
          .collect(Collectors.joining(","));
      System.out.println(String.format(Locale.ROOT,
          "{\"bench\":\"voices\",\"cores\":%d,\"java\":\"%s\",\"runs\":%d,\"text_chars\":%d,\"rtf\":{%s},"
              + "\"freetts_over_espeak\":%.2f}",
          Runtime.getRuntime().availableProcessors(), Runtime.version(), runs, TtsBench.TEXT.length(), medians,
          freeMedian / espeakMedian));
    } finally {
      worker.shutdown();
      worker.awaitTermination(1, TimeUnit.MINUTES);
    }
  }

  /** Synthesis time over audio time of one warm synthesis of {@code text}. */
  private static double rtf(TextToSpeech tts, String text, String voice) {
    long[] samples = {0};
    long t0 = System.nanoTime();
    tts.synthesize(text, SpeechStyle.DEFAULT.withVoice(voice), s -> samples[0] += s.length, () -> false);
    double seconds = (System.nanoTime() - t0) / 1e9;
    return seconds / (samples[0] / (double) tts.sampleRate());
  }

  private VoicesBench() {}
}
