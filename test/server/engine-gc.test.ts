// `serve --engine real` starts each pwsh engine with .NET's GC set to conserve
// memory (DOTNET_GCConserveMemory=9, real-engine.ts says why), unless the
// endpoint's environment chose a value. Asked of the engine's runtime itself
// ([GC]::GetConfigurationVariables()), so the test fails if the variable is
// not passed or is passed under a name .NET does not read.
import { afterEach, describe, expect, it } from 'vitest';
import { startEndpoint, type LocalEndpoint } from '../../src/server/endpoint.js';
import { engineProcessEnv } from '../../src/server/real-engine.js';
import { openSession } from '../../src/session/open.js';
import { describeWithPwsh, pwshEngineCommand } from '../helpers/pwsh.js';

describe('engineProcessEnv', () => {
  it('adds DOTNET_GCConserveMemory=9 and keeps the rest', () => {
    expect(engineProcessEnv({ PATH: '/bin', X: '1' })).toEqual({ PATH: '/bin', X: '1', DOTNET_GCConserveMemory: '9' });
  });
  it("keeps the caller's choice, in either spelling .NET reads", () => {
    expect(engineProcessEnv({ DOTNET_GCConserveMemory: '0' })).toEqual({ DOTNET_GCConserveMemory: '0' });
    expect(engineProcessEnv({ COMPlus_GCConserveMemory: '3' })).toEqual({ COMPlus_GCConserveMemory: '3' });
    expect(engineProcessEnv({ DOTNET_gcConserveMemory: '5' })).toEqual({ DOTNET_gcConserveMemory: '5' });
  });
});

let ep: LocalEndpoint | undefined;
afterEach(async () => {
  await ep?.close();
  ep = undefined;
});

describeWithPwsh("the real engine's GC setting", (pwsh) => {
  const conserve = async () => {
    ep = await startEndpoint({ realEngine: pwshEngineCommand(pwsh) });
    const pool = await openSession(ep.url, { operationTimeoutMs: 60_000, signal: AbortSignal.timeout(120_000) });
    try {
      return (await pool.invoke('[int][GC]::GetConfigurationVariables()["GCConserveMem"]').result()).output;
    } finally {
      await pool.close();
    }
  };

  it('is ConserveMemory 9 by default', async () => {
    const before = process.env.DOTNET_GCConserveMemory;
    delete process.env.DOTNET_GCConserveMemory;
    try {
      expect(await conserve()).toEqual([9]);
    } finally {
      if (before !== undefined) process.env.DOTNET_GCConserveMemory = before;
    }
  }, 180_000);

  it("is the endpoint environment's value when it has one (0: .NET's default)", async () => {
    const before = process.env.DOTNET_GCConserveMemory;
    process.env.DOTNET_GCConserveMemory = '0';
    try {
      expect(await conserve()).toEqual([0]);
    } finally {
      if (before === undefined) delete process.env.DOTNET_GCConserveMemory;
      else process.env.DOTNET_GCConserveMemory = before;
    }
  }, 180_000);
});
