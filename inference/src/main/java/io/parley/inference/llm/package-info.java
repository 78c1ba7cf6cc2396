/**
 * Streaming chat completions behind {@link io.parley.inference.llm.ChatModel}.
 *
 * <ul>
 *   <li>{@link io.parley.inference.llm.OpenAiChatModel}: any OpenAI-compatible server
 *       (<a href="https://platform.openai.com/docs/api-reference/chat-streaming">Chat Completions
 *       streaming</a> over server-sent events), on the Vert.x HTTP client;</li>
 *   <li>{@link io.parley.inference.llm.LlamaChatModel}: a GGUF model in-process through
 *       java-llama.cpp, each completion on a worker thread, checked first by
 *       {@link io.parley.inference.llm.GgufFile} so a bad file cannot abort the JVM;</li>
 *   <li>tool calling: {@link io.parley.inference.llm.Tool}, {@link io.parley.inference.llm.ToolChoice}
 *       and {@link io.parley.inference.llm.ToolCall} in requests and messages, the calls streamed to
 *       {@link io.parley.inference.llm.ChatModel.Sink} (see {@link io.parley.inference.llm.ChatModel});</li>
 *   <li>{@link io.parley.inference.llm.Personality}: the system prompts and how a request is built
 *       from a personality, the recent history and the new user message.</li>
 * </ul>
 */
package io.parley.inference.llm;
