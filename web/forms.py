"""Forms of the site-wide pages: the home search and sign-up."""

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm
from django.core.exceptions import ValidationError

MAX_QUERY_LENGTH = 100


class SearchForm(forms.Form):
    """`?q=` on the home page. Bounded, because ranking reads every concept per word."""

    q = forms.CharField(
        label="Search concepts",
        required=False,
        max_length=MAX_QUERY_LENGTH,
        help_text="A name, alias or keyword: “transformers”, “RAG”, “tokenizer”.",
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )


class FocusFirstError:
    """A form mixin: after a failed submission the first field in error has `autofocus`.

    Django's UserCreationForm (and forms like it) autofocus their first field on every
    rendering, which after an error leaves the cursor in a valid field while the
    browser announces nothing about the one to fix. A form without field errors (or
    with only errors of the whole form) autofocuses nothing, so the page reads from the
    top, where web/_form_errors.html lists the errors.
    """

    def full_clean(self) -> None:
        super().full_clean()
        if not self.is_bound:
            return
        first = next((name for name in self.fields if name in self.errors), None)
        for name, field in self.fields.items():
            if name == first:
                field.widget.attrs["autofocus"] = True
            else:
                field.widget.attrs.pop("autofocus", None)


class SignupForm(FocusFirstError, UserCreationForm):
    """User name, email and password twice, checked by AUTH_PASSWORD_VALIDATORS.

    The email is required because it is the only way back into an account whose
    password is forgotten (PasswordResetView mails it), and unique without regard to
    case, so a reset never goes to two accounts at once.
    """

    email = forms.EmailField(
        label="Email",
        max_length=254,
        help_text="For resetting your password, and for reminders if you turn them on.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "email")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "User name"
        self.fields["password2"].label = "Password again"

    def clean_email(self) -> str:
        email = get_user_model().objects.normalize_email(self.cleaned_data["email"])
        if get_user_model().objects.filter(email__iexact=email).exists():
            raise ValidationError(
                "An account with this email address already exists. If it is yours, "
                "sign in, or reset its password.",
                code="unique",
            )
        return email
