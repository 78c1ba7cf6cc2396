package io.parley.api.calls.signal;

/** WebSocket close codes used by signalling (RFC 6455 §7.4; 4000-4999 are ours). */
final class CloseCodes {
  static final short NORMAL = 1000;
  static final short GOING_AWAY = 1001;
  static final short POLICY = 1008;
  static final short TOO_BIG = 1009;
  static final short AUTH_FAILED = 4001;
  static final short AUTH_TIMEOUT = 4002;
  static final short ACCOUNT_DELETED = io.parley.api.accounts.DeletedAccounts.CLOSE_CODE;
  static final short KEEPALIVE = 4008;
  static final short REPLACED = 4009;

  private CloseCodes() {}
}
