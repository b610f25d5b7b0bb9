// Asks for a secret (an SSH key's passphrase, an SSH password) on the terminal, without echoing it, as
// ssh does. Only where stdin and stderr are a terminal; otherwise the caller says which variable to set.

/** Whether mr4 may ask: a person at a terminal, not a script or a pipe. */
export function canPrompt(): boolean {
  return !!process.stdin.isTTY && !!process.stderr.isTTY && typeof process.stdin.setRawMode === 'function';
}

/** Reads one line from the terminal, showing nothing; Ctrl-C exits (130), as at any other moment. */
export function askSecret(prompt: string): Promise<string> {
  return new Promise((resolve) => {
    const stdin = process.stdin;
    // Echo goes off before the prompt shows, so nothing typed in answer to it is ever echoed.
    stdin.setRawMode(true);
    process.stderr.write(prompt);
    stdin.setEncoding('utf8');
    let value = '';
    const finish = () => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') {
          finish();
          return resolve(value);
        }
        if (ch === '\u0003') {
          finish();
          process.stderr.write('Interrupted.\n');
          process.exit(130);
        }
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else if (ch === '\u0015') value = '';
        else if (ch >= ' ') value += ch;
      }
    };
    stdin.on('data', onData);
    stdin.resume();
  });
}
