from django.forms.renderers import TemplatesSetting


class FormRenderer(TemplatesSetting):
    """Django's form templates, with each field wrapped so labels, help and errors stay together."""

    field_template_name = "forms/field.html"
