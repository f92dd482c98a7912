"""Model backends behind one-method seams: the LLM (llama.cpp, fake) and the embedder (ONNX, torch, hash)."""
