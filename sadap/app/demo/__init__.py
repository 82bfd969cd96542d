"""The shipped demo: Thai sample content and a tiny local web site that serves it."""
