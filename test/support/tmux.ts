// A real terminal for end-to-end tests: a detached tmux session on its own server (-L), keys sent with send-keys, the screen read with capture-pane.
import {execFileSync} from 'node:child_process';
import {shellQuote} from '../../source/system/quote.js';
import {waitFor} from './cli.js';

export class TmuxSession {
	readonly name: string;

	/**
	 * Runs `command` in a new terminal, then prints "[exit N]". With `shell`, an interactive shell takes the terminal
	 * afterwards (to check that it is usable: see typeAndWait); otherwise the pane just stays open.
	 */
	constructor(command: string, options: {width?: number; height?: number; env?: Record<string, string>; shell?: boolean} = {}) {
		this.name = `sel4llm-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
		const env = Object.entries({TERM: 'xterm-256color', FORCE_COLOR: '0', ...options.env}).map(([key, value]) => `${key}=${shellQuote(value)}`).join(' ');
		const after = options.shell ? `exec env PS1='$ ' bash --norc --noprofile -i` : 'sleep 600';
		execFileSync('tmux', ['-L', this.name, '-f', '/dev/null', 'new-session', '-d', '-s', this.name, '-x', String(options.width ?? 120), '-y', String(options.height ?? 40), `env -u CI ${env} ${command}; echo "[exit $?]"; ${after}`]);
	}

	/** Whether the terminal shows its cursor (a program that hid it and did not show it again leaves it hidden). */
	cursorVisible(): boolean {
		return execFileSync('tmux', ['-L', this.name, 'display-message', '-p', '-t', this.name, '#{cursor_flag}'], {encoding: 'utf8'}).trim() === '1';
	}

	/** Types a shell command and Enter, and waits for `pattern` on the screen: the terminal takes and echoes input. */
	async typeAndWait(text: string, pattern: RegExp, timeoutMs = 10_000): Promise<string> {
		this.type(text);
		this.send('Enter');
		return this.waitForText(pattern, timeoutMs);
	}

	/** The screen's text; with `escapes`, with the colour and style codes the program wrote. */
	screen(options: {escapes?: boolean} = {}): string {
		return execFileSync('tmux', ['-L', this.name, 'capture-pane', '-p', ...(options.escapes ? ['-e'] : []), '-t', this.name, '-S', '-200'], {encoding: 'utf8'});
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
