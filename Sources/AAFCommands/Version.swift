/// aafd's version: the one place it is written (`aafd --version`; the Debian package reads it from here).
public enum AAFVersion {
    public static let string = "0.14.0"
}
