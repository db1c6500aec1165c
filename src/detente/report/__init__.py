"""Charts and the self-contained HTML report of an analysis or a forecast (detente report).

``figures`` holds pure functions from result objects to plotly figures (also drawn by the web
page), ``html`` builds the one-file report, ``export`` writes PNG/SVG through kaleido.
"""

from detente.report.figures import analysis_figures
from detente.report.html import analysis_report, forecast_report

__all__ = ["analysis_figures", "analysis_report", "forecast_report"]
