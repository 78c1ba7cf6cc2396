/** Parley api. */
package io.parley.api;
