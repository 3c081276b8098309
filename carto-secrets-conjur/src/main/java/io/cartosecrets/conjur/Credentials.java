package io.cartosecrets.conjur;

import io.cartosecrets.Secret;
import io.cartosecrets.SecretAccessDeniedException;
import io.cartosecrets.SecretException;
import io.cartosecrets.SecretFormatException;
import io.cartosecrets.SecretProvider;
import io.cartosecrets.SecretUnavailableException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;

/** How the provider gets a Conjur access token. Implementations are thread-safe. */
abstract class Credentials implements AutoCloseable {
  /** The provider's description, the source of every exception. */
  final String source;

  Credentials(String source) {
    this.source = source;
  }

  /**
   * A new access token.
   *
   * @throws SecretException if none can be had; never with a credential in the message
   */
  abstract AccessToken obtain();

  /** Who authenticates, for messages: {@code login 'host/apps/x'}; never a credential. */
  abstract String who();

  /**
   * Conjur rejected the token and {@link #obtain()} gave the same one again (only a token file can):
   * the failure to report.
   */
  SecretException rejectedAgain() {
    return new SecretAccessDeniedException(
        source, "Conjur rejected the access token for " + who() + " and issued the same one again");
  }

  @Override
  public void close() {}

  /** {@code authn}: a login (user or {@code host/...}) and its API key, read afresh each time. */
  static final class ApiKey extends Credentials {
    private final ConjurHttp http;
    private final String account;
    private final String login;
    private final SecretProvider apiKey;
    private final Clock clock;

    ApiKey(ConjurHttp http, String account, String login, SecretProvider apiKey, Clock clock, String source) {
      super(source);
      this.http = http;
      this.account = account;
      this.login = login;
      this.apiKey = apiKey;
      this.clock = clock;
    }

    @Override
    AccessToken obtain() {
      // Read every time, so a rotated API key is picked up on the next authentication.
      Secret key = apiKey.fetch();
      ConjurHttp.Reply reply;
      try {
        reply = http.authenticate(account, login, key.reveal());
      } catch (IOException e) {
        throw Failures.unreachable(source, "authenticate " + who(), e);
      }
      if (reply.status != 200) {
        throw Failures.authentication(source, who() + " (API key fp=" + key.fingerprint() + ")", account, reply.status);
      }
      return AccessToken.fromResponse(reply.body, clock.instant())
          .orElseThrow(() -> Failures.notAToken(source, who(), reply.body.length));
    }

    @Override
    String who() {
      return "login '" + login + "'";
    }

    @Override
    public void close() {
      apiKey.close();
    }
  }

  /** {@code authn-jwt}: a JWT from a file (re-read each time: platforms rotate them), a service id. */
  static final class Jwt extends Credentials {
    private final ConjurHttp http;
    private final String account;
    private final String serviceId;
    private final Path jwtFile;
    private final String hostId;
    private final Clock clock;

    Jwt(ConjurHttp http, String account, String serviceId, Path jwtFile, String hostId, Clock clock, String source) {
      super(source);
      this.http = http;
      this.account = account;
      this.serviceId = serviceId;
      this.jwtFile = jwtFile;
      this.hostId = hostId;
      this.clock = clock;
    }

    @Override
    AccessToken obtain() {
      String text = Failures.readFile(jwtFile, source, "JWT");
      if (text == null) {
        throw new SecretUnavailableException(source, "the JWT file " + jwtFile + " does not exist (yet)");
      }
      String jwt = text.trim();
      if (jwt.isEmpty()) {
        throw new SecretFormatException(source, "the JWT file " + jwtFile + " is empty");
      }
      ConjurHttp.Reply reply;
      try {
        reply = http.authenticateJwt(account, serviceId, hostId, jwt);
      } catch (IOException e) {
        throw Failures.unreachable(source, "authenticate " + who(), e);
      }
      if (reply.status != 200) {
        throw Failures.authentication(source, who(), account, reply.status);
      }
      return AccessToken.fromResponse(reply.body, clock.instant())
          .orElseThrow(() -> Failures.notAToken(source, who(), reply.body.length));
    }

    @Override
    String who() {
      return "the JWT in " + jwtFile + " at authn-jwt/" + serviceId
          + (hostId == null ? "" : " as host id '" + hostId + "'");
    }
  }

  /**
   * An access token that a sidecar (the authn-k8s client) writes to a file and renews: read again
   * when it is half way through its life and whenever Conjur rejects it.
   */
  static final class TokenFile extends Credentials {
    private final Path file;
    private final Clock clock;

    TokenFile(Path file, Clock clock, String source) {
      super(source);
      this.file = file;
      this.clock = clock;
    }

    @Override
    AccessToken obtain() {
      String text = Failures.readFile(file, source, "access token");
      if (text == null) {
        // The sidecar may not have written it yet: worth trying again.
        throw new SecretUnavailableException(
            source, "the access token file " + file + " does not exist (yet); it is written by the"
                + " Conjur authenticator sidecar");
      }
      return AccessToken.fromFile(text, clock.instant())
          .orElseThrow(() -> new SecretFormatException(
              source, "the file " + file + " does not hold a Conjur access token (content not shown)"));
    }

    @Override
    String who() {
      return "the access token in " + file;
    }

    @Override
    SecretException rejectedAgain() {
      return new SecretUnavailableException(
          source, "Conjur rejected " + who() + " (HTTP 401) and the file holds no newer token yet:"
              + " is the authenticator sidecar running?");
    }
  }
}
