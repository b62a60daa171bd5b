// sel4llm-infer: the guest's inference program, a small line protocol over libllama.
//
// One-shot:  sel4llm-infer --model M.gguf --threads N --prompt "text" [--max-tokens K]
// Service:   sel4llm-infer --model M.gguf --threads N --serve
//
// Service protocol (one request or reply per line, ASCII framing, see source/console/protocol.ts):
//   host -> guest   "+<escaped text>"                      continuation of the next prompt
//                   "ask <id> <max_tokens> <flags> <escaped text>"  run a prompt (flags: comma list of
//                                                         chat|raw|noeos, or "-")
//                   "ping <id>"
//   guest -> host   "SEL4LLM-READY model=<file> threads=<n>"
//                   "SEL4LLM-BEGIN <id> prompt_tokens=<n>"
//                   "SEL4LLM-TOK <id> <escaped piece>"
//                   "SEL4LLM-END <id> tokens=<n> prompt_tokens=<n> tps=<x> ttft_ms=<x> total_ms=<x> stop=<eog|length>"
//                   "SEL4LLM-ERROR <id> <escaped message>"
//                   "SEL4LLM-PONG <id>"
//                   "SEL4LLM-PART <bytes>"    after each continuation line (the host sends the next one then)
// Escaping: "\\" for a backslash, "\n", "\r", "\t", and "\xHH" for every other byte outside 0x20..0x7e.
// The host may send UTF-8 bytes unescaped; the guest accepts both.

#include "llama.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

struct Options {
	std::string model;
	int threads = 1;
	int ctx = 1024;
	int maxTokens = 64;
	bool serve = false;
	bool haveThreads = false;
	std::string prompt;
	bool havePrompt = false;
	std::string flags = "chat";
	std::string readyName;
	std::string logFile;
};

FILE *logStream = nullptr;

void onLog(ggml_log_level, const char *text, void *) {
	if (logStream) {
		fputs(text, logStream);
		fflush(logStream);
	}
}

// Writes a whole buffer to stdout with write(2): the console is a tty and replies must leave at once.
void emit(const std::string &line) {
	std::string out = line;
	out.push_back('\n');
	const char *data = out.data();
	size_t left = out.size();
	while (left > 0) {
		ssize_t n = write(STDOUT_FILENO, data, left);
		if (n <= 0) return;
		data += n;
		left -= static_cast<size_t>(n);
	}
}

std::string escapeBytes(const std::string &bytes) {
	static const char hex[] = "0123456789abcdef";
	std::string out;
	out.reserve(bytes.size() + 8);
	for (unsigned char c : bytes) {
		if (c == '\\') out += "\\\\";
		else if (c == '\n') out += "\\n";
		else if (c == '\r') out += "\\r";
		else if (c == '\t') out += "\\t";
		else if (c < 0x20 || c > 0x7e) {
			out += "\\x";
			out.push_back(hex[c >> 4]);
			out.push_back(hex[c & 15]);
		} else out.push_back(static_cast<char>(c));
	}
	return out;
}

int hexValue(char c) {
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

bool unescapeBytes(const std::string &text, std::string &out) {
	out.clear();
	for (size_t i = 0; i < text.size(); i++) {
		char c = text[i];
		if (c != '\\') {
			out.push_back(c);
			continue;
		}
		if (++i >= text.size()) return false;
		char e = text[i];
		if (e == '\\') out.push_back('\\');
		else if (e == 'n') out.push_back('\n');
		else if (e == 'r') out.push_back('\r');
		else if (e == 't') out.push_back('\t');
		else if (e == 'x') {
			if (i + 2 >= text.size()) return false;
			int hi = hexValue(text[i + 1]);
			int lo = hexValue(text[i + 2]);
			if (hi < 0 || lo < 0) return false;
			out.push_back(static_cast<char>(hi * 16 + lo));
			i += 2;
		} else return false;
	}
	return true;
}

double msSince(std::chrono::steady_clock::time_point start) {
	return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

class Engine {
public:
	bool load(const Options &options, std::string &error) {
		llama_model_params modelParams = llama_model_default_params();
		modelParams.n_gpu_layers = 0;
		model_ = llama_model_load_from_file(options.model.c_str(), modelParams);
		if (!model_) {
			error = "cannot load model " + options.model;
			return false;
		}
		vocab_ = llama_model_get_vocab(model_);
		llama_context_params contextParams = llama_context_default_params();
		int trained = llama_model_n_ctx_train(model_);
		int ctx = options.ctx;
		if (trained > 0 && ctx > trained) ctx = trained;
		contextParams.n_ctx = static_cast<uint32_t>(ctx);
		contextParams.n_batch = static_cast<uint32_t>(ctx);
		contextParams.n_threads = options.threads;
		contextParams.n_threads_batch = options.threads;
		contextParams.no_perf = true;
		context_ = llama_init_from_model(model_, contextParams);
		if (!context_) {
			error = "cannot create a context";
			return false;
		}
		const char *tmpl = llama_model_chat_template(model_, nullptr);
		if (tmpl) template_ = tmpl;
		return true;
	}

	~Engine() {
		if (context_) llama_free(context_);
		if (model_) llama_model_free(model_);
	}

	// Runs one prompt; calls onPiece for every generated piece. Returns false with a message on failure.
	template <typename OnBegin, typename OnPiece, typename OnEnd>
	bool generate(const std::string &prompt, int maxTokens, const std::string &flags, OnBegin onBegin, OnPiece onPiece,
	              OnEnd onEnd, std::string &error) {
		const auto start = std::chrono::steady_clock::now();
		const bool raw = flags.find("raw") != std::string::npos;
		const bool ignoreEog = flags.find("noeos") != std::string::npos;
		std::string text = prompt;
		if (!raw && !template_.empty()) {
			llama_chat_message message{"user", prompt.c_str()};
			std::vector<char> buffer(prompt.size() * 2 + 512);
			int n = llama_chat_apply_template(template_.c_str(), &message, 1, true, buffer.data(),
			                                  static_cast<int32_t>(buffer.size()));
			if (n > static_cast<int>(buffer.size())) {
				buffer.resize(static_cast<size_t>(n));
				n = llama_chat_apply_template(template_.c_str(), &message, 1, true, buffer.data(),
				                              static_cast<int32_t>(buffer.size()));
			}
			if (n > 0) text.assign(buffer.data(), static_cast<size_t>(n));
		}

		const bool addSpecial = true;
		int count = -llama_tokenize(vocab_, text.data(), static_cast<int32_t>(text.size()), nullptr, 0, addSpecial, true);
		if (count <= 0) count = 1;
		std::vector<llama_token> tokens(static_cast<size_t>(count));
		int got = llama_tokenize(vocab_, text.data(), static_cast<int32_t>(text.size()), tokens.data(), count, addSpecial,
		                         true);
		if (got < 0) {
			error = "cannot tokenize the prompt";
			return false;
		}
		tokens.resize(static_cast<size_t>(got));
		if (tokens.empty()) tokens.push_back(llama_vocab_bos(vocab_));

		const int ctx = static_cast<int>(llama_n_ctx(context_));
		if (static_cast<int>(tokens.size()) >= ctx) {
			error = "the prompt has " + std::to_string(tokens.size()) + " tokens; the context holds " +
			        std::to_string(ctx);
			return false;
		}
		int budget = maxTokens;
		if (static_cast<int>(tokens.size()) + budget > ctx) budget = ctx - static_cast<int>(tokens.size());

		llama_memory_clear(llama_get_memory(context_), true);
		onBegin(static_cast<int>(tokens.size()));

		llama_sampler *sampler = llama_sampler_chain_init(llama_sampler_chain_default_params());
		llama_sampler_chain_add(sampler, llama_sampler_init_greedy());

		llama_batch batch = llama_batch_get_one(tokens.data(), static_cast<int32_t>(tokens.size()));
		int generated = 0;
		double firstTokenMs = -1;
		std::chrono::steady_clock::time_point firstTokenAt;
		const char *stop = "length";
		llama_token next = 0;
		std::vector<char> piece(256);
		while (generated < budget) {
			if (llama_decode(context_, batch) != 0) {
				llama_sampler_free(sampler);
				error = "decode failed after " + std::to_string(generated) + " tokens";
				return false;
			}
			next = llama_sampler_sample(sampler, context_, -1);
			if (!ignoreEog && llama_vocab_is_eog(vocab_, next)) {
				stop = "eog";
				break;
			}
			int n = llama_token_to_piece(vocab_, next, piece.data(), static_cast<int32_t>(piece.size()), 0, false);
			if (n < 0) {
				piece.resize(static_cast<size_t>(-n));
				n = llama_token_to_piece(vocab_, next, piece.data(), static_cast<int32_t>(piece.size()), 0, false);
			}
			generated++;
			if (firstTokenMs < 0) {
				firstTokenMs = msSince(start);
				firstTokenAt = std::chrono::steady_clock::now();
			}
			onPiece(std::string(piece.data(), n > 0 ? static_cast<size_t>(n) : 0));
			batch = llama_batch_get_one(&next, 1);
		}
		llama_sampler_free(sampler);
		// Eval speed: tokens after the first over the time since the first (the prompt is not in it).
		double evalMs = firstTokenMs < 0 ? 0 : msSince(firstTokenAt);
		double tps = generated > 1 && evalMs > 0 ? (generated - 1) * 1000.0 / evalMs : 0;
		onEnd(generated, static_cast<int>(tokens.size()), tps, firstTokenMs < 0 ? 0 : firstTokenMs, msSince(start), stop);
		return true;
	}

private:
	llama_model *model_ = nullptr;
	llama_context *context_ = nullptr;
	const llama_vocab *vocab_ = nullptr;
	std::string template_;
};

std::string fixed(double value, int digits) {
	char buffer[64];
	snprintf(buffer, sizeof buffer, "%.*f", digits, value);
	return buffer;
}

std::string endLine(const std::string &id, int generated, int promptTokens, double tps, double ttft, double total,
                    const char *stop) {
	return "SEL4LLM-END " + id + " tokens=" + std::to_string(generated) + " prompt_tokens=" +
	       std::to_string(promptTokens) + " tps=" + fixed(tps, 2) + " ttft_ms=" + fixed(ttft, 1) +
	       " total_ms=" + fixed(total, 1) + " stop=" + stop;
}

bool validId(const std::string &id) {
	if (id.empty() || id.size() > 32) return false;
	for (char c : id)
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_'))
			return false;
	return true;
}

// Splits "word rest" at the first space.
std::string takeWord(std::string &rest) {
	size_t space = rest.find(' ');
	std::string word = rest.substr(0, space);
	rest = space == std::string::npos ? std::string() : rest.substr(space + 1);
	return word;
}

int serve(Engine &engine, const Options &options) {
	std::string name = options.readyName.empty() ? options.model : options.readyName;
	size_t slash = name.rfind('/');
	if (slash != std::string::npos) name = name.substr(slash + 1);
	emit("SEL4LLM-READY model=" + escapeBytes(name) + " threads=" + std::to_string(options.threads));

	std::string pending;
	std::string line;
	int c;
	while (true) {
		line.clear();
		while ((c = fgetc(stdin)) != EOF && c != '\n') line.push_back(static_cast<char>(c));
		if (c == EOF && line.empty()) return 0;
		if (!line.empty() && line.back() == '\r') line.pop_back();
		if (line.empty()) continue;
		if (line[0] == '+') {
			std::string chunk;
			if (!unescapeBytes(line.substr(1), chunk)) {
				pending.clear();
				emit("SEL4LLM-ERROR - " + escapeBytes("bad escape in a continuation line"));
				continue;
			}
			pending += chunk;
			// Acknowledge each piece so that the host never has more than one line in the tty's buffer.
			emit("SEL4LLM-PART " + std::to_string(pending.size()));
			continue;
		}
		std::string rest = line;
		std::string verb = takeWord(rest);
		if (verb == "ping") {
			std::string id = takeWord(rest);
			emit("SEL4LLM-PONG " + (validId(id) ? id : std::string("-")));
			continue;
		}
		if (verb != "ask") {
			pending.clear();
			emit("SEL4LLM-ERROR - " + escapeBytes("unknown request: " + verb.substr(0, 40)));
			continue;
		}
		std::string id = takeWord(rest);
		std::string max = takeWord(rest);
		std::string flags = takeWord(rest);
		if (!validId(id)) {
			pending.clear();
			emit("SEL4LLM-ERROR - " + escapeBytes("bad request id"));
			continue;
		}
		char *end = nullptr;
		long maxTokens = strtol(max.c_str(), &end, 10);
		if (max.empty() || *end != '\0' || maxTokens < 1 || maxTokens > 100000) {
			pending.clear();
			emit("SEL4LLM-ERROR " + id + " " + escapeBytes("bad max_tokens: " + max));
			continue;
		}
		std::string tail;
		if (!unescapeBytes(rest, tail)) {
			pending.clear();
			emit("SEL4LLM-ERROR " + id + " " + escapeBytes("bad escape in the prompt"));
			continue;
		}
		std::string prompt = pending + tail;
		pending.clear();
		std::string error;
		bool ok = engine.generate(
		    prompt, static_cast<int>(maxTokens), flags,
		    [&](int promptTokens) { emit("SEL4LLM-BEGIN " + id + " prompt_tokens=" + std::to_string(promptTokens)); },
		    [&](const std::string &piece) { emit("SEL4LLM-TOK " + id + " " + escapeBytes(piece)); },
		    [&](int generated, int promptTokens, double tps, double ttft, double total, const char *stop) {
			    emit(endLine(id, generated, promptTokens, tps, ttft, total, stop));
		    },
		    error);
		if (!ok) emit("SEL4LLM-ERROR " + id + " " + escapeBytes(error));
	}
}

void usage() {
	fputs("usage: sel4llm-infer --model FILE --threads N (--serve | --prompt TEXT) [--max-tokens N] [--ctx N]\n"
	      "                     [--flags chat|raw|noeos,...] [--name NAME] [--log FILE]\n",
	      stderr);
}

bool parseInt(const char *text, int low, int high, int &out) {
	char *end = nullptr;
	long value = strtol(text, &end, 10);
	if (!*text || *end || value < low || value > high) return false;
	out = static_cast<int>(value);
	return true;
}

} // namespace

int main(int argc, char **argv) {
	Options options;
	for (int i = 1; i < argc; i++) {
		std::string arg = argv[i];
		auto value = [&](const char *what) -> const char * {
			if (i + 1 >= argc) {
				fprintf(stderr, "sel4llm-infer: %s needs a value\n", what);
				exit(2);
			}
			return argv[++i];
		};
		if (arg == "--model") options.model = value("--model");
		else if (arg == "--threads") {
			if (!parseInt(value("--threads"), 1, 256, options.threads)) {
				fputs("sel4llm-infer: --threads must be 1..256\n", stderr);
				return 2;
			}
			options.haveThreads = true;
		} else if (arg == "--ctx") {
			if (!parseInt(value("--ctx"), 16, 1 << 20, options.ctx)) {
				fputs("sel4llm-infer: --ctx must be 16..1048576\n", stderr);
				return 2;
			}
		} else if (arg == "--max-tokens") {
			if (!parseInt(value("--max-tokens"), 1, 100000, options.maxTokens)) {
				fputs("sel4llm-infer: --max-tokens must be 1..100000\n", stderr);
				return 2;
			}
		} else if (arg == "--prompt") {
			options.prompt = value("--prompt");
			options.havePrompt = true;
		} else if (arg == "--flags") options.flags = value("--flags");
		else if (arg == "--name") options.readyName = value("--name");
		else if (arg == "--log") options.logFile = value("--log");
		else if (arg == "--serve") options.serve = true;
		else if (arg == "--help" || arg == "-h") {
			usage();
			return 0;
		} else {
			fprintf(stderr, "sel4llm-infer: unknown argument %s\n", arg.c_str());
			usage();
			return 2;
		}
	}
	if (options.model.empty() || !options.haveThreads || options.serve == options.havePrompt) {
		usage();
		return 2;
	}
	if (!options.logFile.empty()) logStream = fopen(options.logFile.c_str(), "a");
	llama_log_set(onLog, nullptr);
	llama_backend_init();

	Engine engine;
	std::string error;
	if (!engine.load(options, error)) {
		if (options.serve) emit("SEL4LLM-ERROR - " + escapeBytes(error));
		fprintf(stderr, "sel4llm-infer: %s\n", error.c_str());
		return 1;
	}
	if (options.serve) return serve(engine, options);

	bool ok = engine.generate(
	    options.prompt, options.maxTokens, options.flags, [](int) {},
	    [](const std::string &piece) {
		    fwrite(piece.data(), 1, piece.size(), stdout);
		    fflush(stdout);
	    },
	    [](int generated, int promptTokens, double tps, double ttft, double total, const char *stop) {
		    fprintf(stdout, "\n");
		    fprintf(stderr, "%s\n", endLine("-", generated, promptTokens, tps, ttft, total, stop).c_str());
	    },
	    error);
	if (!ok) {
		fprintf(stderr, "sel4llm-infer: %s\n", error.c_str());
		return 1;
	}
	return 0;
}
