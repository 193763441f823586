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


class SignupForm(UserCreationForm):
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
