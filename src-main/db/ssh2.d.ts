// The part of the npm `ssh2` package (pure JavaScript; its optional native crypto is never built) that
// ssh-tunnel.ts uses. Declared here rather than through @types/ssh2, which would pull a second, older
// @types/node into the type check.
declare module 'ssh2' {
  import type { EventEmitter } from 'node:events';
  import type { Duplex } from 'node:stream';

  export interface ParsedKey {
    type: string;
    comment: string;
    isPrivateKey(): boolean;
    getPublicSSH(): Buffer;
  }

  export type AuthMethod =
    | { type: 'none'; username: string }
    | { type: 'password'; username: string; password: string }
    | { type: 'publickey'; username: string; key: Buffer | string | ParsedKey; passphrase?: string }
    | { type: 'agent'; username: string; agent: string }
    | {
        type: 'keyboard-interactive';
        username: string;
        prompt: (
          name: string,
          instructions: string,
          lang: string,
          prompts: { prompt: string; echo: boolean }[],
          finish: (answers: string[]) => void,
        ) => void;
      };

  export interface ConnectConfig {
    host: string;
    port: number;
    username: string;
    readyTimeout?: number;
    keepaliveInterval?: number;
    keepaliveCountMax?: number;
    algorithms?: { serverHostKey?: string[] };
    hostVerifier?: (key: Buffer, verify: (ok: boolean) => void) => void;
    authHandler?: (methodsLeft: string[] | null, partialSuccess: boolean | null, next: (method: AuthMethod | false) => void) => void;
    debug?: (message: string) => void;
  }

  export interface SshErrorLike extends Error {
    level?: string;
    code?: string | number;
    reason?: string;
  }

  export class Client extends EventEmitter {
    connect(config: ConnectConfig): this;
    end(): this;
    destroy(): this;
    setNoDelay(noDelay: boolean): this;
    forwardOut(
      srcIP: string,
      srcPort: number,
      dstIP: string,
      dstPort: number,
      cb: (err: SshErrorLike | undefined, channel: Duplex) => void,
    ): this;
    openssh_forwardOutStreamLocal(socketPath: string, cb: (err: SshErrorLike | undefined, channel: Duplex) => void): this;
    on(event: 'ready' | 'close' | 'end', listener: () => void): this;
    on(event: 'error', listener: (err: SshErrorLike) => void): this;
    once(event: 'ready' | 'close' | 'end', listener: () => void): this;
    once(event: 'error', listener: (err: SshErrorLike) => void): this;
  }

  const utils: {
    parseKey(data: Buffer | string, passphrase?: string): ParsedKey | ParsedKey[] | Error;
  };

  const ssh2: { Client: typeof Client; utils: typeof utils };
  export default ssh2;
}
