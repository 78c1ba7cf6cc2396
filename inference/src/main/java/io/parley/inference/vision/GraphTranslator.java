package io.parley.inference.vision;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.translate.NoBatchifyTranslator;
import ai.djl.translate.TranslatorContext;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * A bundled detector's pre- and post-processing as a DJL translator, around the graph's forward
 * pass: a batch of photos in, letterboxed to the model's square input channels-last in one buffer
 * this translator reuses (so one translator per predictor, one predictor per worker thread); per
 * photo its objects out, decoded by the model ({@link GraphModel#decode}: the score threshold,
 * class-wise NMS and the boxes mapped back to the photo's pixels). The batch is the translator's
 * input (the detector's queue forms it), so no batchifier.
 */
final class GraphTranslator implements NoBatchifyTranslator<List<RgbImage>, GraphTranslator.Output> {

  /**
   * Per photo its objects, best first, with where the time went: letterboxing the batch, the
   * forward pass, and decoding each photo.
   */
  record Output(List<List<Detection>> objects, long prepareNanos, long inferNanos, long[] decodeNanos) {}

  private static final String LETTERBOXES = "letterboxes";
  private static final String PREPARED = "prepared";

  private final GraphModel model;
  private final float scoreThreshold;
  private final float iouThreshold;
  /** Grown to the largest batch: a fresh 2-3 MB array per photo is a G1 humongous object. */
  private float[] input = new float[0];

  GraphTranslator(GraphModel model, float scoreThreshold, float iouThreshold) {
    this.model = model;
    this.scoreThreshold = scoreThreshold;
    this.iouThreshold = iouThreshold;
  }

  @Override
  public NDList processInput(TranslatorContext ctx, List<RgbImage> images) {
    long t0 = System.nanoTime();
    int n = images.size();
    if (n == 0) {
      throw new IllegalArgumentException("no photos");
    }
    int side = model.side();
    int plane = 3 * side * side;
    if (input.length < n * plane) {
      input = new float[n * plane];
    }
    Letterbox[] boxes = new Letterbox[n];
    for (int i = 0; i < n; i++) {
      boxes[i] = model.prepare(images.get(i), input, i * plane);
    }
    NDArray x = GraphExecutor.nhwcInput(input, new Shape(n, 3, side, side), ctx.getNDManager());
    ctx.setAttachment(LETTERBOXES, boxes);
    ctx.setAttachment(PREPARED, new long[] {t0, System.nanoTime()});
    return new NDList(x);
  }

  @Override
  public Output processOutput(TranslatorContext ctx, NDList outputs) {
    Letterbox[] boxes = (Letterbox[]) ctx.getAttachment(LETTERBOXES);
    long[] prepared = (long[]) ctx.getAttachment(PREPARED);
    int n = boxes.length;
    FloatBuffer[] values = new FloatBuffer[outputs.size()];
    for (int i = 0; i < values.length; i++) {
      NDArray o = outputs.get(i);
      // Read in place (a contiguous copy in native memory when the output is a permuted view; it is
      // freed with the prediction's arrays): ~1.8 MB per photo copied into the Java heap per pass
      // made G1 start a concurrent cycle for nearly every young collection (humongous arrays).
      ByteBuffer bytes = o instanceof PtNDArray pt ? pt.toByteBuffer(true) : o.toByteBuffer();
      values[i] = bytes.order(ByteOrder.nativeOrder()).asFloatBuffer();
    }
    long inferred = System.nanoTime();
    List<List<Detection>> objects = new ArrayList<>(n);
    long[] decode = new long[n];
    for (int i = 0; i < n; i++) {
      long t0 = System.nanoTime();
      objects.add(model.decode(values, i, n, boxes[i], scoreThreshold, iouThreshold));
      decode[i] = System.nanoTime() - t0;
    }
    return new Output(objects, prepared[1] - prepared[0], inferred - prepared[1], decode);
  }
}
