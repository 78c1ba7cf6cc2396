// The web client's sentences for realtime errors (api/src/main/resources/web/assets/voice-errors.js),
// run in node as the page runs them: stdin is a JSON array of error objects (or null), stdout one
// JSON array of the sentences.
import { readFileSync } from "node:fs";
import { explain } from "../../main/resources/web/assets/voice-errors.js";

const errors = JSON.parse(readFileSync(0, "utf8"));
process.stdout.write(JSON.stringify(errors.map(explain)) + "\n");
