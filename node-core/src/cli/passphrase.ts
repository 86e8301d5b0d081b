import { createInterface } from 'node:readline';
import { IngotError } from '../codec/errors.ts';

/** From INGOT_PASSPHRASE, or asked on the terminal without echo. */
export async function readPassphrase(prompt: string, confirm = false): Promise<string> {
  const fromEnv = process.env.INGOT_PASSPHRASE;
  if (fromEnv !== undefined && fromEnv.length > 0) return fromEnv;
  if (!process.stdin.isTTY) {
    throw new IngotError('PASSPHRASE_REQUIRED', 'set INGOT_PASSPHRASE or run in a terminal to be asked for the passphrase');
  }
  const first = await askHidden(prompt);
  if (confirm && (await askHidden('Repeat the passphrase: ')) !== first) throw new IngotError('PASSPHRASE_MISMATCH', 'the two passphrases differ');
  return first;
}

/** Asks on the terminal and reads one line without echoing it. */
export function askHidden(prompt: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  // Show the prompt, but not what is typed after it.
  let muted = false;
  const output = rl as unknown as { _writeToOutput: (text: string) => void };
  output._writeToOutput = (text) => {
    if (!muted) process.stderr.write(text);
  };
  return new Promise((resolve) => {
    rl.question(prompt, (answer) => {
      rl.close();
      process.stderr.write('\n');
      resolve(answer);
    });
    muted = true;
  });
}
