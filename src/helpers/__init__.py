"""helpers: the tested implementations behind Executed Answers, one module per chapter topic.

Modules are imported on demand (``from helpers.softmax import softmax``); the package itself
exports the shared test support, :func:`gradcheck` and :func:`numerical_gradient`.
"""

from helpers.gradcheck import GradcheckResult, gradcheck, numerical_gradient

__all__ = ["GradcheckResult", "gradcheck", "numerical_gradient"]
