/** Parley inference. */
package io.parley.inference;
