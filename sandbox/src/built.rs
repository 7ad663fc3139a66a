//! Typed answers made from the generated types' builders.

/// Makes a generated type from its builder. The sandbox sets every required field of what it
/// builds, so a builder missing one is a bug in the sandbox, not an answer to give.
pub(crate) trait Built: Sized {
    /// The value `builder` describes.
    fn built<B>(builder: B) -> Self
    where
        Self: TryFrom<B>,
        <Self as TryFrom<B>>::Error: std::fmt::Debug,
    {
        Self::try_from(builder).expect("every field is set")
    }
}

impl<T> Built for T {}
