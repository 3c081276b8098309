/**
 * Secrets from environment variables ({@link io.cartosecrets.env.EnvSecretProvider},
 * {@code env:NAME}) and files ({@link io.cartosecrets.env.FileSecretProvider},
 * {@code file:/path[#field]}): Docker secrets, Kubernetes secret volumes, files rendered by agents.
 * Files are watched and reloaded on change, Kubernetes' atomic symbolic-link swap included.
 */
package io.cartosecrets.env;
