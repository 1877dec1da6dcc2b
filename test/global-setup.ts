// Global test setup. Builders of external test peers (the .NET PowerShell host,
// loopback sshd) hook in here so that `npm test` alone prepares everything.
export default async function setup(): Promise<void> {
  const { setupPeers } = await import('./helpers/peers-setup.js');
  await setupPeers();
}
