import FoundationEssentials
import MailIntakeCore
import MailTransport

/// The OAuth2 tokens' health, read from their files, for `status`, `oauth status` and the
/// metrics: these run in other processes than the daemon, and the file is what they share.
public enum OAuth2Health {
    /// The sides that log in with OAuth2, with their settings.
    public static func sides(_ configuration: Configuration) -> [(side: String, settings: OAuth2Settings)] {
        var sides: [(String, OAuth2Settings)] = []
        if let imap = configuration.imap.authentication.oauth2 { sides.append(("imap", imap)) }
        if let smtp = configuration.smtp.authentication.oauth2 { sides.append(("smtp", smtp)) }
        return sides
    }

    public static func check(_ configuration: Configuration, now: Date = Date()) -> [TokenHealth] {
        sides(configuration).map { side, settings in
            // A member of staff may run `status`: the token file exists but is the service's alone.
            if FileManager.default.fileExists(atPath: settings.tokenFile), access(settings.tokenFile, R_OK) != 0, errno == EACCES {
                return TokenHealth(side: side, settings: settings, state: nil, privateToService: true, now: now)
            }
            do {
                return TokenHealth(side: side, settings: settings, state: try TokenFile(path: settings.tokenFile).read(), now: now)
            } catch {
                return TokenHealth(side: side, settings: settings, state: nil, readError: "\(error)", now: now)
            }
        }
    }
}
