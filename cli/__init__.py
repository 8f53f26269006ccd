"""The command line, ``mineral-diplomacy``: the end of the data flow, where the steps meet."""
