package io.parley.core.config;

/**
 * Every configuration key Parley reads: the single source of the reference in
 * {@code docs/CONFIGURATION.md} (a test keeps the two in step). Keys are environment variable
 * names; the same names may be put in a properties file named by {@code PARLEY_CONFIG}, and the
 * environment overrides the file.
 */
public enum ConfigKey {
  PARLEY_CONFIG(null, "path", "Optional properties file with any of these keys; the environment overrides it."),
  PARLEY_HOME("./.parley", "path", "State directory: embedded PostgreSQL data, generated secrets, the instance lock."),
  PARLEY_ROLES("turn,api,signal,voice,vision", "comma list of turn, api, signal, voice, vision", "What this node runs: turn (the TURN/STUN server), api (the REST API and web client), signal (the signalling WebSocket), voice (the voice engines: realtime, transcription, speech, chat), vision (the photo detector). signal, voice and vision are served through the HTTP API, so they imply api. turn alone: an edge TURN node with no PostgreSQL, no engines and only a health and metrics listener on PARLEY_HTTP_PORT."),
  PARLEY_CALL_TURN_URLS("", "comma list of turn: and turns: URLs", "TURN servers a call's ice-servers lists instead of this node's own: the edge TURN nodes (PARLEY_ROLES=turn), as turn:HOST:PORT?transport=udp, ...?transport=tcp or turns:HOST:PORT?transport=tcp, with REST credentials minted with PARLEY_TURN_SECRET (required with this key, the same on the edge nodes). Empty: this node's own TURN server, when it runs one."),
  PARLEY_HTTP_HOST("0.0.0.0", "address", "Interface the HTTP server binds."),
  PARLEY_HTTP_PORT("8080", "TCP port", "HTTP port (REST, WebSockets, health, metrics). 0 picks a free port."),
  PARLEY_HTTP_EVENT_LOOPS("0", "event loops", "HTTP servers (one per event loop, sharing the port). 0: one per CPU core."),
  PARLEY_TLS_CERT(null, "path", "PEM certificate chain: with PARLEY_TLS_KEY, the HTTP port speaks HTTPS and WSS (clients such as the openai package's realtime client require wss). Unset: plain HTTP (put a TLS proxy in front)."),
  PARLEY_TLS_KEY(null, "path", "PEM private key (PKCS#8 or PKCS#1) for PARLEY_TLS_CERT."),
  PARLEY_PUBLIC_URL(null, "URL", "Base URL clients use, printed at start; defaults to http://localhost:<port>."),
  PARLEY_PG_URL(null, "URL", "External PostgreSQL, postgresql://user:pass@host:port/db. Unset: embedded PostgreSQL under PARLEY_HOME/postgres."),
  PARLEY_PG_POOL_SIZE("8", "connections", "Maximum PostgreSQL connections per node."),
  PARLEY_PG_EMBEDDED_PORT("0", "TCP port", "Port of the embedded PostgreSQL (loopback only). 0: the port used last time under PARLEY_HOME, else a free one."),
  PARLEY_REDIS_URL(null, "URL", "External Redis, redis://[:pass@]host:port[/db]. Unset: an embedded Redis on loopback."),
  PARLEY_REDIS_EMBEDDED_PORT("0", "TCP port", "Port of the embedded Redis (loopback only). 0 picks a free port."),
  PARLEY_MODELS("./models", "path", "Directory of model files fetched by ./parley models; the default Whisper and chat models are looked for here."),
  PARLEY_JWT_SECRET(null, "string (>= 32 bytes)", "HMAC-SHA256 key for access tokens. Unset: generated once into PARLEY_HOME/jwt.secret. Set it (the same on every node) in a cluster."),
  PARLEY_JWT_OLD_SECRETS("", "comma list", "Previous access-token keys still accepted (rotation): tokens signed with any of them verify until it is removed from the list. New tokens are signed with PARLEY_JWT_SECRET only."),
  PARLEY_JWT_ISSUER("parley", "string", "iss claim of access tokens."),
  PARLEY_ACCESS_TOKEN_TTL("900", "seconds", "Lifetime of JWT access tokens."),
  PARLEY_REFRESH_TOKEN_TTL("604800", "seconds", "Lifetime of refresh tokens (7 days)."),
  PARLEY_ARGON2_MEMORY_KIB("19456", "KiB", "Argon2id memory cost (OWASP minimum: 19 MiB)."),
  PARLEY_ARGON2_ITERATIONS("2", "passes", "Argon2id time cost."),
  PARLEY_ARGON2_PARALLELISM("1", "lanes", "Argon2id parallelism."),
  PARLEY_AUTH_WORKERS("2", "threads", "Worker threads for password hashing (never the event loop)."),
  PARLEY_LOGIN_MAX_FAILURES_ACCOUNT("5", "failures", "Failed logins per account within the window before it is throttled."),
  PARLEY_LOGIN_MAX_FAILURES_IP("20", "failures", "Failed logins per client IP within the window before it is throttled."),
  PARLEY_LOGIN_WINDOW("900", "seconds", "Window of the login failure counters."),
  PARLEY_AUDIT_RETENTION_DAYS("365", "days", "Audit log entries older than this (0 to 36500) are deleted (checked hourly, on a worker thread, in batches). 0: kept forever."),
  PARLEY_RATE_LIMIT_ENABLED("true", "boolean", "Per-class request rate limits."),
  PARLEY_RATE_LIMIT_API_PER_MINUTE("600", "requests/min", "Class api: authenticated REST calls, per user (per IP when anonymous)."),
  PARLEY_RATE_LIMIT_AUTH_PER_MINUTE("30", "requests/min", "Class auth: signup, login, refresh, logout, per IP."),
  PARLEY_RATE_LIMIT_CHAT_PER_MINUTE("60", "requests/min", "Class chat: chat completions, per user."),
  PARLEY_RATE_LIMIT_VOICE_PER_MINUTE("30", "requests/min", "Class voice: transcription and speech (/v1/audio/*) and Realtime handshakes (/v1/realtime; each may start a conversation), per user. Open Realtime sessions are also capped by PARLEY_VOICE_MAX_SESSIONS_PER_USER."),
  PARLEY_RATE_LIMIT_VISION_PER_MINUTE("20", "requests/min", "Class vision: photo analysis and meal uploads, per user."),
  PARLEY_USER_CACHE_TTL("5", "seconds", "Per-node cache of GET /api/v1/users/me. Writes invalidate it on every node at once (Redis pub/sub); the TTL only bounds a lost invalidation. 0 disables it."),
  PARLEY_TRUST_PROXY("false", "boolean", "Behind one trusted load balancer: take the client IP from the last X-Forwarded-For hop, the one it appends (earlier hops are what the client sent and are ignored)."),
  PARLEY_MAX_BODY_BYTES("1048576", "bytes", "Largest JSON request body; larger -> 413."),
  PARLEY_HTTP_HEADER_TIMEOUT("10", "seconds", "Time a client has to send a request's line and headers, from its first byte (from the connection's start for the first request); slower ones are disconnected (slowloris). Open WebSockets and idle keep-alive connections are not affected. 1 to 3600."),
  PARLEY_UPLOAD_MIN_RATE("1024", "bytes/s", "Slowest a request body (a photo, an audio file for transcription, JSON) may arrive, averaged over PARLEY_UPLOAD_RATE_WINDOW; a slower one gets 408 and its connection is closed, giving back what it held. 0: no minimum."),
  PARLEY_UPLOAD_RATE_WINDOW("10", "seconds", "Window over which PARLEY_UPLOAD_MIN_RATE is measured; the first window starts when the request's headers are read. 1 to 3600."),
  PARLEY_CORS_ORIGINS("", "comma list", "Origins allowed by CORS (exact origins, or * for any). Empty: no CORS headers."),
  PARLEY_SHUTDOWN_TIMEOUT("10", "seconds", "On SIGTERM: time to drain requests and stop embedded services."),
  PARLEY_LOG_FORMAT("json", "json or text", "Log line format on stdout."),
  PARLEY_TURN_ENABLED("true", "boolean", "Run the TURN/STUN server."),
  PARLEY_TURN_HOST("0.0.0.0", "address", "Interface the TURN/STUN listeners (UDP and TCP) bind."),
  PARLEY_TURN_PORT("3478", "UDP/TCP port", "TURN/STUN listener port, UDP and TCP."),
  PARLEY_TURN_EXTERNAL_IP(null, "IP address", "Address advertised in XOR-RELAYED-ADDRESS and ice-servers URLs. Unset: the relay bind address, or 127.0.0.1 when that is a wildcard."),
  PARLEY_TURN_RELAY_HOST("0.0.0.0", "address", "Interface relay sockets bind."),
  PARLEY_TURN_RELAY_PORTS("49152-65535", "port range", "UDP ports for relayed transport addresses, as LOW-HIGH."),
  PARLEY_TURN_REALM("parley", "string", "REALM of long-term credentials."),
  PARLEY_TURN_SECRET(null, "string (>= 16 chars)", "TURN REST shared secret, as coturn's use-auth-secret: credentials are issued with it. Unset: generated into PARLEY_HOME/turn.secret."),
  PARLEY_TURN_OLD_SECRETS("", "comma list", "Previous secrets still accepted (rotation): credentials signed with any of them verify."),
  PARLEY_TURN_USERS("", "comma list of user:password", "Static long-term users (operations and interop tests); REST credentials need none."),
  PARLEY_TURN_NONCE_LIFETIME("600", "seconds", "How long a NONCE stays valid; an older one gets 438 Stale Nonce."),
  PARLEY_TURN_MAX_ALLOCATIONS("10000", "allocations", "Allocations on this node; past it Allocate gets 508."),
  PARLEY_TURN_MAX_ALLOCATIONS_PER_USER("10", "allocations", "Allocations per user id; past it Allocate gets 486."),
  PARLEY_TURN_MAX_BPS("5000000", "bytes/s", "Relayed bytes per second per allocation and direction; excess is dropped. 0: unlimited."),
  PARLEY_TURN_ALLOW_PEERS("", "comma list of CIDRs", "Peer ranges the TURN relay may reach although private or loopback, e.g. 127.0.0.0/8 in tests."),
  PARLEY_TURN_RELAY_HOST_IPV6("::", "address", "Interface IPv6 relay sockets bind (REQUESTED-ADDRESS-FAMILY or ADDITIONAL-ADDRESS-FAMILY IPv6). `none`: no IPv6 relays (Allocate asking for one gets 440); a wildcard offers them only where the host has an IPv6 address."),
  PARLEY_TURN_EXTERNAL_IPV6(null, "IPv6 address", "Address advertised in XOR-RELAYED-ADDRESS of IPv6 relays. Unset: PARLEY_TURN_RELAY_HOST_IPV6, or when that is a wildcard the host's first global IPv6 address, else ::1."),
  PARLEY_TURN_RESERVATION_LIFETIME("30", "seconds", "How long the port reserved by EVEN-PORT with the R bit waits for the Allocate carrying its RESERVATION-TOKEN (30 s as coturn), 1-3600."),
  PARLEY_TURN_TLS_ENABLED("true", "boolean", "Serve TURN over TLS (turns:, RFC 8656 over TLS/TCP) when a certificate is configured: PARLEY_TURN_TLS_CERT/KEY, else the HTTPS ones PARLEY_TLS_CERT/KEY."),
  PARLEY_TURN_TLS_PORT("5349", "TCP port", "TURN over TLS listener port (443 where the operator chooses). 0 picks a free port."),
  PARLEY_TURN_TLS_CERT(null, "path", "PEM certificate chain of the TURN TLS listener. Unset: PARLEY_TLS_CERT."),
  PARLEY_TURN_TLS_KEY(null, "path", "PEM private key (PKCS#8) for PARLEY_TURN_TLS_CERT. Unset: PARLEY_TLS_KEY."),
  PARLEY_TURN_TLS_RELOAD("60", "seconds", "How often the TLS certificate and key files are read again, 1-86400: when they changed, new connections get the new certificate, without a restart."),
  PARLEY_TURN_TLS_HOST(null, "host name", "Host put in turns: URLs of ice-servers; it must match the certificate. Unset: the advertised address (PARLEY_TURN_EXTERNAL_IP)."),
  PARLEY_ENGINE_ISOLATION("process", "process or inline", "Where the native engines (Whisper, llama.cpp, speech synthesis, the photo detector) run: process: in worker processes the node starts and restarts (speech, chat, vision; a native crash there ends one turn or one photo, never the node's calls); inline: in the node's own JVM (one process, a crash in an engine ends the node)."),
  PARLEY_ENGINE_JAVA_OPTS("-Xmx512m -XX:+UseSerialGC", "JVM options", "JVM options of each engine worker process (the engines' own memory is native, outside this heap)."),
  PARLEY_ENGINE_START_TIMEOUT("300", "seconds", "How long an engine worker process may take to load its models and answer, 10-3600; one that takes longer is stopped and started again."),
  PARLEY_VOICE_ENABLED("true", "boolean", "Load the voice engines (VAD, Whisper, chat model, TTS). false: a node that serves REST, calls and TURN only; voice requests get a clear error."),
  PARLEY_VAD_THREADS("1", "threads", "Worker threads scoring VAD frames (all sessions' frames are batched per run)."),
  PARLEY_VAD_START_THRESHOLD("0.5", "probability", "Speech starts when a frame's speech probability reaches this."),
  PARLEY_VAD_END_THRESHOLD("0.35", "probability", "Speech may end once frames fall below this (hysteresis: lower than the start threshold)."),
  PARLEY_VAD_MIN_SPEECH_MS("250", "ms", "Shorter bursts of speech are ignored."),
  PARLEY_VAD_MIN_SILENCE_MS("600", "ms", "Silence that ends a turn (end of speech)."),
  PARLEY_VAD_PREROLL_MS("300", "ms", "Audio kept before the detected start of speech, so first syllables are not cut."),
  PARLEY_SEMANTIC_VAD_MODEL(null, "path", "End-of-turn model for turn_detection semantic_vad: a Smart Turn v3 ONNX file. Unset: turn/smart-turn-v3.onnx under PARLEY_MODELS when it is there (fetched by ./parley models --turn smart-turn-v3); without it semantic_vad is refused with an error."),
  PARLEY_SEMANTIC_VAD_THREADS("1", "threads", "ONNX Runtime threads inside one end-of-turn model run (the turns of all sessions waiting at once share a run)."),
  PARLEY_WHISPER_MODEL(null, "path", "Whisper ggml model file. Unset: whisper/ggml-base-q5_1.bin under PARLEY_MODELS (multilingual base, 5-bit quantized, fetched by ./parley models); when that is missing too, speech-to-text answers with an error naming the file and ./parley models --whisper base-q5_1."),
  PARLEY_WHISPER_THREADS("2", "threads", "Threads whisper.cpp uses for one transcription."),
  PARLEY_STT_WORKERS("1", "threads", "Concurrent transcriptions (each holds a whisper state of ~100 MB). Users' requests and realtime sessions take turns on them, one job each."),
  PARLEY_STT_INTERIM_MS("1000", "ms", "While the user speaks, an interim transcript of the speech so far every this often. 0: finals only."),
  PARLEY_STT_LANGUAGE("auto", "ISO 639-1 code or auto", "The node's default language of speech; auto lets Whisper detect it (one more encoder pass per transcription). A realtime session's audio.input.transcription.language and a transcription request's language override it. An English-only model (*.en) takes only en or auto."),
  PARLEY_TRANSCRIBE_MAX_SECONDS("1500", "seconds", "Longest audio /v1/audio/transcriptions accepts (1..14400). A file whose container declares more is refused before decoding; one that decodes to more is refused as soon as it passes (413 audio_too_long)."),
  PARLEY_AUDIO_UPLOAD_MEMORY("134217728", "bytes", "Audio upload bytes (/v1/audio/transcriptions) this node holds in memory at once, over all requests (128 MiB); an upload that would pass it gets 503 with Retry-After. At least 26214400 (one upload of the 25 MiB limit)."),
  PARLEY_LLM_ENGINE("auto", "auto, openai, llama or none", "Chat engine: openai (PARLEY_LLM_BASE_URL), llama (in-process, PARLEY_LLAMA_MODEL); auto picks llama when a model file is set, else openai when a base URL is set."),
  PARLEY_LLM_BASE_URL(null, "URL", "OpenAI-compatible server for chat completions, e.g. http://localhost:8000/v1 (vLLM, llama.cpp server, Ollama)."),
  PARLEY_LLM_API_KEY(null, "string", "Bearer key for PARLEY_LLM_BASE_URL, if it needs one. Never logged."),
  PARLEY_LLM_MODEL("default", "string", "Model name sent to the OpenAI-compatible server, and reported by Parley."),
  PARLEY_LLAMA_MODEL(null, "path", "GGUF model file for in-process llama.cpp. Unset (and no PARLEY_LLM_BASE_URL, or engine llama): llm/qwen2.5-0.5b-instruct-q4_k_m.gguf under PARLEY_MODELS when it is there (fetched by ./parley models --llm qwen2.5-0.5b-instruct)."),
  PARLEY_LLM_WORKERS("1", "threads", "Concurrent in-process completions."),
  PARLEY_LLM_MAX_TOKENS("256", "tokens", "Longest assistant answer."),
  PARLEY_LLM_CONTEXT_MESSAGES("20", "messages", "Conversation history sent to the model (the last N messages)."),
  PARLEY_TTS_ENGINE("auto", "auto, freetts, espeak or openai", "Speech synthesis: auto (FreeTTS for English, eSpeak NG for every other language, both in-process), FreeTTS only (kevin16, 16 kHz, English), eSpeak NG only (100+ languages, 22.05 kHz; Debian libespeak-ng1), or an OpenAI-compatible /v1/audio/speech server."),
  PARLEY_TTS_BASE_URL(null, "URL", "OpenAI-compatible server for speech synthesis (with PARLEY_TTS_ENGINE=openai)."),
  PARLEY_TTS_API_KEY(null, "string", "Bearer key for PARLEY_TTS_BASE_URL. Never logged."),
  PARLEY_TTS_VOICE(null, "string", "Default voice: a voice name or language code (auto and freetts: kevin16; espeak: en-us; OpenAI-compatible servers: theirs, alloy when unset)."),
  PARLEY_TTS_WORKERS("2", "threads", "Concurrent syntheses (one FreeTTS voice per worker thread)."),
  PARLEY_VOICE_BARGE_IN_MS("300", "ms", "User speech must last this long during an answer to interrupt it, counted from its onset (so a short mhmm does not)."),
  PARLEY_VOICE_SESSION_GRACE("30", "seconds", "A realtime session whose socket drops can be resumed with its resume token this long."),
  PARLEY_VOICE_IDLE_TIMEOUT("600", "seconds", "A realtime session with no audio or event for this long is closed."),
  PARLEY_VOICE_MAX_SESSIONS_PER_USER("3", "sessions", "Concurrent realtime sessions per user on all nodes together; past it a new one is refused (429)."),
  PARLEY_VOICE_TOOL_TIMEOUT_MS("5000", "ms", "A server tool call (meals, appointments, profile) that takes longer returns a timeout error to the model; the session goes on."),
  PARLEY_VOICE_TOOL_ROUNDS("4", "rounds", "Rounds of server tool calls one answer may make before the model must answer in words."),
  PARLEY_ASSISTANT_CONTEXT_TOKENS("400", "tokens", "Most that the user's personal context (name, profile, today's meal totals, next appointment, saved memories) adds to each answer's prompt, counted as characters / 4; the most relevant memories first. Allergies are always included. 0: no personal context."),
  PARLEY_CONVERSATION_RETENTION_DAYS("0", "days", "Assistant conversations with no new message for this many days are deleted with their messages (checked hourly). 0: kept until the user deletes them."),
  PARLEY_VISION_ENABLED("true", "boolean", "Load the photo detector (PARLEY_VISION_MODEL, on DJL). false: photo requests get a clear error."),
  PARLEY_VISION_MODEL("centernet", "centernet, nanodet or yolo", "The detector: centernet (a MobileNetV3 CenterNet, 512x512, models/centernet; finds more of the COCO objects and the food at the default threshold, about twice NanoDet-m's time per photo), nanodet (NanoDet-m, 416x416, models/nanodet; both come with ./parley models) or yolo (an operator's YOLO export, PARLEY_VISION_YOLO_FILE)."),
  PARLEY_VISION_YOLO_FILE(null, "path", "A YOLOv5/v8/11 detection export: .onnx runs on DJL's ONNX Runtime engine, .pt or .torchscript on its PyTorch engine. Required with PARLEY_VISION_MODEL=yolo."),
  PARLEY_VISION_YOLO_LAYOUT("v8", "v5 or v8", "The export's output: v8 ([1, 4 + classes, boxes], also YOLO11) or v5 ([1, boxes, 5 + classes], with objectness)."),
  PARLEY_VISION_YOLO_SIZE("640", "pixels", "The export's square input side (photos are resized to it)."),
  PARLEY_VISION_YOLO_CLASSES(null, "path", "Class names, one per line, in the export's order. Unset: the 80 COCO classes."),
  PARLEY_VISION_WORKERS("0", "threads", "Detector worker threads, each with its own copy of the model; each runs one batch at a time. 0: one per core."),
  PARLEY_VISION_THREADS("1", "threads", "PyTorch intra-op threads for a forward pass; 0: one per core. One single-threaded worker per core gives the most photos per second; one worker with a thread per core answers a lone photo sooner."),
  PARLEY_VISION_BATCH_WINDOW_MS("5", "ms", "How long a worker waits for more images to batch with the first; 0: only those already waiting."),
  PARLEY_VISION_MAX_BATCH("8", "images", "Most images in one forward pass."),
  PARLEY_VISION_SCORE_THRESHOLD("0.35", "probability", "Objects below this confidence are not reported."),
  PARLEY_VISION_IOU_THRESHOLD("0.5", "ratio", "Non-maximum suppression: a box overlapping a better one of its class by more than this is dropped."),
  PARLEY_VISION_DEVICE("auto", "auto, cpu or gpu", "Where the detector runs: auto takes a GPU when PyTorch sees one."),
  PARLEY_VISION_COMPILE("true", "true or false", "centernet and nanodet on the CPU: compile the graph to one TorchScript module with fused, prepacked oneDNN convolutions (about 25% faster); false runs it op by op on DJL NDArrays."),
  PARLEY_PHOTO_MAX_BYTES("10485760", "bytes", "Largest photo upload (10 MiB); larger gets 413."),
  PARLEY_PHOTO_MAX_PIXELS("40000000", "pixels", "Largest photo by width x height, read from its header before decoding (decompression bombs)."),
  PARLEY_PHOTO_UPLOAD_MEMORY("268435456", "bytes", "Photo upload bytes this node holds in memory at once, over all requests (256 MiB); a photo that would pass it gets 503 with Retry-After."),
  PARLEY_PHOTO_CACHE_TTL("86400", "seconds", "Analysis results are cached in Redis by the image's sha256 (and model version and task) this long."),
  PARLEY_MEAL_IMAGE_RETENTION("30", "days", "Meal photos kept at the user's request (store_image=true) are deleted after this."),
  PARLEY_VISION_FOOD_LABELS(null, "path", "Which food each detector label is: a TSV of label, NDB number, portion, plate share[, FDC id] (docs/MEALS.md). Unset: the shipped mapping of COCO's ten food classes."),
  PARLEY_VISION_LABEL_SEARCH("false", "true or false", "A detected label missing from the mapping is looked up by name in the food table (for a food-trained detector whose labels are food names); false: such labels are not food."),
  PARLEY_CALL_LIMIT("1200", "seconds", "Hard limit of one expert call (20 min): at it the server ends the call for both parties and cuts its TURN relays. A booking may be shorter, never longer."),
  PARLEY_CALL_WARNINGS("120,30", "comma list of seconds", "Before a call's limit, signalling sends call-warning events this many seconds before the end."),
  PARLEY_CALL_JOIN_EARLY("600", "seconds", "How long before an appointment's scheduled time its call may be started or joined."),
  PARLEY_CALL_GRACE("30", "seconds", "A party whose signalling connection drops may reconnect and resume within this time; after it the call ends (reason disconnected)."),
  PARLEY_CALL_FREE_PER_MONTH("2", "appointments", "Appointments per user and calendar month (UTC) without payment; further ones are created with requires_payment true."),
  PARLEY_SIGNAL_MAX_MESSAGE_BYTES("65536", "bytes", "Largest signalling message handled; a larger one gets an error message (the connection stays)."),
  PARLEY_SIGNAL_RATE("50", "messages/s", "Signalling messages per connection per second (burst: twice this); excess gets rate_limited errors."),
  PARLEY_SIGNAL_AUTH_TIMEOUT("10", "seconds", "Time a signalling connection without an Authorization header has to send its auth message."),
  PARLEY_SIGNAL_PING_INTERVAL("20", "seconds", "WebSocket ping interval; a connection silent for three intervals is closed.");

  private final String defaultValue;
  private final String unit;
  private final String description;

  ConfigKey(String defaultValue, String unit, String description) {
    this.defaultValue = defaultValue;
    this.unit = unit;
    this.description = description;
  }

  /** The default as written in the reference, or null when unset by default. */
  public String defaultValue() {
    return defaultValue;
  }

  public String unit() {
    return unit;
  }

  public String description() {
    return description;
  }
}
