// Chromium's command line for the browser tests: headless Debian chromium, a fake microphone and
// camera (the microphone plays `wav`, looping), autoplay allowed, and nothing leaving the machine.
export function chromiumFlags(wav) {
  return [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream", `--use-file-for-fake-audio-capture=${wav}`,
    "--autoplay-policy=no-user-gesture-required",
    // Every name fails to resolve but the loopback address.
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    // Real host candidates rather than mDNS names, so relay-less ICE works on loopback too.
    "--disable-features=WebRtcHideLocalIpsWithMdns",
  ];
}
