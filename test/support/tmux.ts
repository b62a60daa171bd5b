// A real terminal for end-to-end tests: a detached tmux session on its own server (-L), keys sent with send-keys, the screen read with capture-pane.
import {execFileSync} from 'node:child_process';
import {shellQuote} from '../../source/system/quote.js';
import {waitFor} from './cli.js';

export class TmuxSession {
	readonly name: string;

	constructor(command: string, options: {width?: number; height?: number; env?: Record<string, string>} = {}) {
		this.name = `sel4llm-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
		const env = Object.entries({TERM: 'xterm-256color', FORCE_COLOR: '0', ...options.env}).map(([key, value]) => `${key}=${shellQuote(value)}`).join(' ');
		execFileSync('tmux', ['-L', this.name, '-f', '/dev/null', 'new-session', '-d', '-s', this.name, '-x', String(options.width ?? 120), '-y', String(options.height ?? 40), `env -u CI ${env} ${command}; echo "[exit $?]"; sleep 600`]);
	}

	screen(): string {
		return execFileSync('tmux', ['-L', this.name, 'capture-pane', '-p', '-t', this.name, '-S', '-200'], {encoding: 'utf8'});
	}

	async waitForText(pattern: RegExp, timeoutMs = 20_000): Promise<string> {
		let last = '';
		try {
			await waitFor(() => pattern.test((last = this.screen())), timeoutMs, String(pattern));
		} catch (error) {
			throw new Error(`${(error as Error).message}\n--- screen ---\n${last}`);
		}
		return last;
	}

	send(...keys: string[]): void {
		execFileSync('tmux', ['-L', this.name, 'send-keys', '-t', this.name, ...keys]);
	}

	type(text: string): void {
		execFileSync('tmux', ['-L', this.name, 'send-keys', '-t', this.name, '-l', text]);
	}

	kill(): void {
		try {
			execFileSync('tmux', ['-L', this.name, 'kill-server'], {stdio: 'ignore'});
		} catch {
			// already gone
		}
	}
}
