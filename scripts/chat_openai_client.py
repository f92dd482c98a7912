"""The seed's chat loop, ported to localmem's OpenAI-compatible endpoint.

    localmem serve                                    # in another terminal (127.0.0.1:8765)
    localmem keys create --user dave                  # prints the key
    python scripts/chat_openai_client.py --key lm_... [--url http://127.0.0.1:8765/v1]

The seed searched memory before each call and added the exchange after it. The server does
both now (it recalls into a system message and stores the exchange in the background), so the
loop is only ``chat.completions.create`` with ``base_url`` at the local server. The key is bound
to a user, so the server knows whose memories to use; with an admin key pass ``--user``.
"""

from __future__ import annotations

import argparse
import os


def chat_with_memories(client, message: str, history: list[dict[str, str]], user: str | None) -> str:
    """One turn: the server recalls, answers, and remembers; ``history`` grows by the exchange."""
    messages = [{"role": "system", "content": "You are a helpful AI. Answer the question briefly."},
                *history[-6:], {"role": "user", "content": message}]  # the last 3 exchanges
    extra = {"user": user} if user else {}
    response = client.chat.completions.create(model="localmem", messages=messages, **extra)
    answer = response.choices[0].message.content or ""
    history += [{"role": "user", "content": message}, {"role": "assistant", "content": answer}]
    return answer


def main() -> None:
    from openai import OpenAI

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8765/v1", help="the local server's /v1")
    parser.add_argument("--key", default=os.environ.get("LOCALMEM_API_KEY"),
                        help="a localmem API key (default: $LOCALMEM_API_KEY)")
    parser.add_argument("--user", default=None, help="whose memories, with an admin key")
    args = parser.parse_args()
    if not args.key:
        parser.error("give --key (create one with `localmem keys create --user NAME`)")
    client = OpenAI(base_url=args.url, api_key=args.key)
    history: list[dict[str, str]] = []
    print("Chat with AI (type 'exit' to quit)")
    while True:
        try:
            user_input = input("You: ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            break
        if user_input.lower() == "exit":
            print("Goodbye!")
            break
        if user_input:
            print(f"AI: {chat_with_memories(client, user_input, history, args.user)}")


if __name__ == "__main__":
    main()
