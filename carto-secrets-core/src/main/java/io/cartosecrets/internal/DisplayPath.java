package io.cartosecrets.internal;

/**
 * A request tag giving the path to show in exceptions and logs instead of the real one, for
 * requests whose path carries a secret (the Tokens API addresses a token by its value).
 */
public record DisplayPath(String path) {}
