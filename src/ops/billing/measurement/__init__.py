"""The monthly measurement (boletim de medição): its period, its priced lines, its states from draft to approved."""
