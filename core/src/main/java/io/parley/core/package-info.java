/** Parley core. */
package io.parley.core;
