/**
 * Object detection on photos: NanoDet-m (COCO) executed on DJL, and the types callers see.
 */
package io.parley.inference.vision;
