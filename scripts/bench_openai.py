"""Time to first token of the OpenAI-compatible chat, with memory on and off, on the real models.

    python scripts/bench_openai.py [--rounds 8] [--max-tokens 8] [--home DIR] [--no-wait]
                                   [--tokens]

A real uvicorn server over ``create_app`` on 127.0.0.1 (what ``localmem serve`` runs, with the
default models: SmolLM2-135M GGUF, MiniLM), the official ``openai`` client streaming. The user's
memories are the seed's two conversations. Each round asks one question with memory on and with
memory off (``X-Localmem-Memory: off``), in alternating order, each twice in a row: the first ask
is a new question (other memories than the last turn's, so the model reads them all), the second
a repeat (the same memories: their prompt is cached). Before each request the server's
background storage of the previous exchange is waited for, so what is timed is one reply alone;
with ``--no-wait`` it is not, as in a real chat loop: the next question comes while the last
exchange is being extracted (the reply then competes with the recorder for the model and CPU).
Printed for both cases: the median, min and max time to the first content token, memory on and
off, and the difference (target: on <= off + 50 ms); with ``--tokens`` the median prompt tokens
(the streamed usage; a server without ``stream_options`` refuses it); then ``Memory.search``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from localmem import Memory  # noqa: E402
from localmem.frontends.rest import ServerOptions, create_app  # noqa: E402
from localmem.storage.keys import KeyStore  # noqa: E402
from scripts.demo import DAVE, MOVIES  # noqa: E402
from tests.live_server import serving  # noqa: E402

QUESTIONS = [
    "What is my name?", "What do I like to build?", "Which movie should I watch tonight?",
    "Do I like thrillers?", "What should I do this weekend?", "Tell me something about me.",
    "Can you suggest a hobby for me?", "What kind of films do I enjoy?",
]


def first_token(client, question: str, memory_on: bool, max_tokens: int,
                tokens: bool = False) -> tuple[float, int | None]:
    """Seconds from sending the request to the first chunk that carries text, and the prompt's
    tokens (with ``tokens``, from the streamed usage)."""
    headers = {} if memory_on else {"X-Localmem-Memory": "off"}
    extra = {"stream_options": {"include_usage": True}} if tokens else {}
    start = time.perf_counter()
    stream = client.chat.completions.create(
        model="localmem", messages=[{"role": "user", "content": question}], stream=True,
        max_tokens=max_tokens, temperature=0, extra_headers=headers, **extra)
    took, prompt = None, None
    for chunk in stream:
        if took is None and chunk.choices and chunk.choices[0].delta.content:
            took = time.perf_counter() - start
        if getattr(chunk, "usage", None) is not None:
            prompt = chunk.usage.prompt_tokens
    return (took if took is not None else time.perf_counter() - start), prompt


def summary(name: str, seconds: list[float]) -> float:
    median = statistics.median(seconds) * 1000
    print(f"  {name:<11} median {median:7.1f} ms   min {min(seconds) * 1000:7.1f}   "
          f"max {max(seconds) * 1000:7.1f}   (n={len(seconds)})")
    return median


def main() -> None:
    import openai

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--max-tokens", type=int, default=8)
    parser.add_argument("--home", help="home directory (default: a temporary folder)")
    parser.add_argument("--no-wait", action="store_true",
                        help="do not wait for the background storage between requests")
    parser.add_argument("--tokens", action="store_true",
                        help="also print the median prompt tokens (streamed usage)")
    args = parser.parse_args()
    home = Path(args.home or tempfile.mkdtemp(prefix="bench_openai_"))
    start = time.perf_counter()
    memory = Memory(path=home)
    memory.add(DAVE, user_id="dave")
    memory.add(MOVIES, user_id="dave")
    print(f"models loaded and memories added in {time.perf_counter() - start:.1f} s: "
          f"{[m.text for m in memory.get_all(user_id='dave')]}")
    keys = KeyStore(home)
    options = ServerOptions(rate=0)
    app = create_app(home, memory=memory, keys=keys, options=options)
    recorder = app.state.openai.recorder
    times: dict[tuple[bool, bool], list[float]] = {(a, b): [] for a in (0, 1) for b in (0, 1)}
    prompts: dict[tuple[bool, bool], list[int]] = {(a, b): [] for a in (0, 1) for b in (0, 1)}
    with serving(app) as port:
        client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key=keys.create("dave"),
                               max_retries=0, timeout=600)
        for on in (True, False):  # warm-up: first load, first template render
            first_token(client, "Hello!", on, args.max_tokens)
            recorder.join()
        for i in range(args.rounds):
            question = QUESTIONS[i % len(QUESTIONS)]
            for on in ((True, False) if i % 2 == 0 else (False, True)):
                for repeat in (False, True):
                    if not args.no_wait:
                        recorder.join()
                    took, prompt = first_token(client, question, on, args.max_tokens, args.tokens)
                    times[on, repeat].append(took)
                    if prompt is not None:
                        prompts[on, repeat].append(prompt)
        waited = time.perf_counter()
        recorder.join()
        print(f"the recorder finished {time.perf_counter() - waited:.1f} s after the last reply")
    mode = "not waiting for" if args.no_wait else "waiting for"
    print(f"time to first token, streaming, {args.rounds} rounds, max_tokens={args.max_tokens}, "
          f"{mode} the background storage:")
    for repeat, case in ((False, "a new question"), (True, "the same question again")):
        print(f" {case}:")
        on, off = summary("memory on", times[True, repeat]), summary("memory off", times[False, repeat])
        verdict = "met" if on <= off + 50 else "NOT met"
        print(f"  difference  {on - off:+.1f} ms (target on <= off + 50 ms: {verdict})")
        if prompts[True, repeat] and prompts[False, repeat]:
            print(f"  prompt tokens: memory on {statistics.median(prompts[True, repeat]):.0f}, "
                  f"off {statistics.median(prompts[False, repeat]):.0f} (medians)")
    searches = []
    for question in QUESTIONS:
        t0 = time.perf_counter()
        memory.search(question, user_id="dave", limit=options.memory_limit, max_words=options.memory_words)
        searches.append(time.perf_counter() - t0)
    print(f"Memory.search alone: median {statistics.median(searches) * 1000:.1f} ms")
    keys.close()
    memory.close()


if __name__ == "__main__":
    main()
