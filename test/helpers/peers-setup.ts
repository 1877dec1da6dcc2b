// Prepares external peers for the integration suites. Each peer records why it
// is unavailable so that the suites that need it can skip with a visible reason.
export async function setupPeers(): Promise<void> {
  // filled in by the real-engine work (test/peer)
}
