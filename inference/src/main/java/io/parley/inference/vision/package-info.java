/**
 * Object detection on photos: the bundled detectors (NanoDet-m and a MobileNetV3 CenterNet, COCO,
 * TensorFlow.js graphs executed on DJL), an operator's YOLO export, and the types callers see.
 */
package io.parley.inference.vision;
