/** Parley media. */
package io.parley.media;
